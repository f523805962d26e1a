// Package observe defines the observations that devices, links and the cloud
// emit while a run goes on, and the Sink they are emitted to.
//
// Observations are data: every failure a report counts arrives here as a
// value with a reason, never only as a log line. The report accumulators
// (package report) consume them; results.jsonl is written from them.
//
// Frame accounting (DESIGN.md §6) is built on these kinds: every frame a
// device generates produces exactly one FrameSent, and later at most one fate:
// FrameDelivered, FrameDropped, FrameLost or FrameRejected. A frame without a
// fate when the run ends is in flight. So, per device,
// sent = delivered + dropped_device + lost_network + rejected_cloud + in_flight.
// Frames are identified by (Device, Channel, Stream, Seq).
package observe

import "time"

// Kind is what an Observation reports.
type Kind uint8

const (
	KindUnknown Kind = iota

	// Frames. Seq is the frame sequence; Stream says video or audio.
	FrameSent      // the device generated the frame and handed it to its SDK
	FrameDelivered // the cloud holds the complete frame; Value = latency from capture
	FrameDropped   // the frame never left the device; Reason says why
	FrameLost      // the frame left the device and will never arrive; Reason says why
	FrameRejected  // the cloud refused the frame; Reason says why

	// Events (CS5–CS9, RP4). Seq is the event id.
	EventStarted
	EventFirstFrame // the event's first frame reached the cloud; Value = latency from event start
	EventReported   // the event-report result; OK tells success
	// Segments of the push SDK (RP4); Seq numbers segments.
	SegmentStarted
	SegmentEnded

	// Slices (CS11, CS16, CS17). Seq numbers slices per device and channel;
	// Size is the slice's bytes.
	SliceCut
	SliceUploaded    // Value = upload duration
	SliceFailed      // an upload attempt failed; Reason says why
	SliceBackfilled  // a failed slice was uploaded by the backfill worker
	SliceExpired     // a failed slice passed its backfill window and is lost
	SliceOverwritten // the cloud stored a slice over an existing time range

	// Buffers and flow control (CS13, RP6). Code is the watermark level.
	Watermark
	PushPaused
	PushResumed

	// Connections (RP3, RP7). Code is the RP3 stage code; Reason its name.
	ConnAttempt
	ConnUp
	ConnFailed
	ConnClosed
	Reconnect

	// Device lifecycle.
	DeviceStarted
	DeviceStopped

	// The generator's own timeliness: Value = how late a frame was emitted
	// against its schedule.
	GeneratorLag

	// Live view (§2.3). Value = jitter; Size = packets; Code = packets lost.
	LiveViewReport

	kindCount
)

var kindNames = [...]string{
	KindUnknown:      "unknown",
	FrameSent:        "frame_sent",
	FrameDelivered:   "frame_delivered",
	FrameDropped:     "frame_dropped",
	FrameLost:        "frame_lost",
	FrameRejected:    "frame_rejected",
	EventStarted:     "event_started",
	EventFirstFrame:  "event_first_frame",
	EventReported:    "event_reported",
	SegmentStarted:   "segment_started",
	SegmentEnded:     "segment_ended",
	SliceCut:         "slice_cut",
	SliceUploaded:    "slice_uploaded",
	SliceFailed:      "slice_failed",
	SliceBackfilled:  "slice_backfilled",
	SliceExpired:     "slice_expired",
	SliceOverwritten: "slice_overwritten",
	Watermark:        "watermark",
	PushPaused:       "push_paused",
	PushResumed:      "push_resumed",
	ConnAttempt:      "conn_attempt",
	ConnUp:           "conn_up",
	ConnFailed:       "conn_failed",
	ConnClosed:       "conn_closed",
	Reconnect:        "reconnect",
	DeviceStarted:    "device_started",
	DeviceStopped:    "device_stopped",
	GeneratorLag:     "generator_lag",
	LiveViewReport:   "live_view_report",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s && k != int(KindUnknown) {
			return Kind(k), true
		}
	}
	return KindUnknown, false
}

// Stream distinguishes the media streams of a channel.
type Stream uint8

const (
	Video Stream = iota
	Audio
)

// Watermark levels (CS13), as in the SDK documents' table.
const (
	LevelLow  = 3
	LevelWarn = 4
	LevelHigh = 5
)

// Observation is one thing that happened.
type Observation struct {
	At      time.Time     // when it happened, on the observer's clock
	Kind    Kind          //
	Device  int           // device index in the fleet plan
	Channel int           // SDK channel (0-based)
	Stream  Stream        // for frame kinds
	Seq     uint64        // frame, slice, segment or event number
	Value   time.Duration // latency, lag or duration, as the kind says
	Size    int64         // bytes
	Code    int           // stage code, error code or level, as the kind says
	OK      bool          // for results
	Reason  string        // why, for failures and drops (a short stable token)
}

// Sink receives observations. Implementations must be safe for concurrent
// use and must not retain pointers into the Observation.
type Sink interface {
	Observe(o Observation)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Observation)

func (f SinkFunc) Observe(o Observation) { f(o) }

// Discard is a Sink that drops everything.
type Discard struct{}

func (Discard) Observe(Observation) {}

// Reasons for frame fates. They are stable tokens used as report keys.
const (
	ReasonNoService     = "no_service"      // no cloud plan (CS3)
	ReasonNotIDR        = "first_not_idr"   // before the first IDR (CS10)
	ReasonBufferFull    = "buffer_full"     // send buffer full, dropped until IDR (CS13)
	ReasonPaused        = "push_paused"     // flow control dropped it (RP6)
	ReasonNotConnected  = "not_connected"   // no connection to send on
	ReasonConnecting    = "connecting"      // captured while the camera's first connection was still being set up (RP3)
	ReasonIdle          = "recording_idle"  // recording paused (CS15)
	ReasonConnReset     = "connection_lost" // the connection carrying it died
	ReasonSliceExpired  = "slice_expired"   // backfill window passed (CS16)
	ReasonSliceRejected = "slice_rejected"  // the cloud refused the slice
	ReasonRunEnded      = "run_ended"       // the run ended before it was sent
	ReasonRejectedAuth  = "auth_failed"
	ReasonBadMedia      = "bad_media"
	ReasonNotRecording  = "not_recording" // the plan records only events, and none is open (CS4)
	ReasonAwaitIDR      = "awaiting_idr"  // frames before a recording's first IDR that the firmware held back, or pushed before it heard of the push start (CS10)
)

// ByPolicy reports whether a FrameDropped reason is the device doing what its
// plan says — not recording outside events, no plan at all, recording paused
// for lack of data, no stream before its first IDR or before its first
// connection attempt has settled — rather than a failure. Such frames are still dropped
// (the accounting stays exact) but they are not loss: the report keeps them
// out of loss ratios.
func ByPolicy(reason string) bool {
	switch reason {
	case ReasonNotRecording, ReasonNoService, ReasonIdle, ReasonAwaitIDR, ReasonConnecting:
		return true
	}
	return false
}
