package cstorage

import "time"

// NoticeKind is iv_cs_notify_msg_type_e (CS13, CS14).
type NoticeKind int

const (
	NoticeConnectFail    NoticeKind = 0 // IV_CS_AV_UPLOAD_CONNECT_FAIL
	NoticeConnectRecover NoticeKind = 1 // IV_CS_AV_UPLOAD_CONNECT_RECOVER
	NoticeUploadState    NoticeKind = 2 // IV_CS_AV_UPLOAD_STATE_MSG: Slices set
	NoticeWatermarkLow   NoticeKind = 3 // IV_CS_AV_UPLOAD_WATERMARK_LOW
	NoticeWatermarkWarn  NoticeKind = 4 // IV_CS_AV_UPLOAD_WATERMARK_WARN
	NoticeWatermarkHigh  NoticeKind = 5 // IV_CS_AV_UPLOAD_WATERMARK_HIGH
	NoticeServiceWrong   NoticeKind = 6 // IV_CS_COS_SERVICE_WRONG
)

func (k NoticeKind) String() string {
	switch k {
	case NoticeConnectFail:
		return "connect_fail"
	case NoticeConnectRecover:
		return "connect_recover"
	case NoticeUploadState:
		return "upload_state"
	case NoticeWatermarkLow:
		return "watermark_low"
	case NoticeWatermarkWarn:
		return "watermark_warn"
	case NoticeWatermarkHigh:
		return "watermark_high"
	case NoticeServiceWrong:
		return "service_wrong"
	}
	return "notice(?)"
}

// MaxUploadRecords is MAX_UPLOAD_INFO_NUM: slice records per upload-state notice.
const MaxUploadRecords = 10

// UploadState is iv_cs_upload_state_e.
type UploadState int

const (
	UploadOK  UploadState = 0
	UploadErr UploadState = 1
)

// SliceRecord is iv_cs_upload_slice_info_s (CS11): one slice's video range
// and upload result. A slice is fully good when State is UploadOK and
// UploadSize == TotalSize.
type SliceRecord struct {
	Seq                         uint64
	UTCStart, UTCEnd            time.Time // device clock
	PTSFirst, PTSLast           time.Duration
	FrameSeqFirst, FrameSeqLast uint64
	UploadSize, TotalSize       int
	State                       UploadState
}

// Notice is one iv_cs_notify_cb message.
type Notice struct {
	Kind   NoticeKind
	Slices []SliceRecord // NoticeUploadState only, at most MaxUploadRecords
}

// EventResult is iv_cs_event_result_info (CS6).
type EventResult struct {
	OK         bool // result_code 1 success, 0 fail
	EventID    int
	Start, End time.Time // event start and end, device UTC, whole seconds
}

// DumpState is iv_cs_up_bk_state_e (CS16).
type DumpState int

const (
	DumpStart   DumpState = 0 // CS_UP_BK_START
	DumpRunning DumpState = 1 // CS_UP_BK_RUNNING
	DumpEnd     DumpState = 2 // CS_UP_BK_END
)

// DumpChunk is one iv_cs_dump_file_cb call: Start (Start set), Running
// (Data), End (End and Name set).
type DumpChunk struct {
	State      DumpState
	Start, End time.Time
	Name       string
	// Data is valid only during the callback; copy it to keep it.
	Data []byte
}

// Callbacks is iv_cs_init_func_cb_s. Nil members are skipped. Callbacks are
// delivered one at a time, in order, outside the SDK's lock: they may call
// the SDK again (the notify path tolerates re-entry, CS14) — except Exit,
// which waits for the SDK's goroutines and so must be called from outside.
type Callbacks struct {
	PushStart func(ch int)
	PushStop  func(ch int)
	// CapturePicture returns the event's JPEG, or nil for an event without a
	// picture. The SDK does not modify it and hands it back in PictureResult.
	CapturePicture    func(ch, eventID int) []byte
	PictureResult     func(ch int, pic []byte, err error)
	EventReportResult func(ch int, r EventResult)
	Notify            func(ch int, n Notice)
	DumpFile          func(ch int, d DumpChunk)
}
