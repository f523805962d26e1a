// Package cstorage is the cloud-storage SDK of the virtual camera: the Go
// form of Tencent IoT Video's iv_cs_* API (rules CS1–CS18 of DESIGN.md §2.1),
// per channel (1–3 channels).
//
// The firmware (sim/device) calls Init, PushStream, EventStart/EventStop and
// their Ext forms, EventDirectReport, BalanceInfo, SetTransTime, SetAIProcess,
// UploadBackupVideo, ResourceDestroy and Exit; the SDK answers through
// Callbacks (push start/stop, capture picture, picture result, event report
// result, notify, dump file) and emits sim/observe observations for every
// frame, slice, event and watermark.
//
// Inside, per channel (channel.go): a send buffer of MaxGopSize bytes with
// edge-triggered watermarks and drop-until-IDR when full, an idle pause, a
// pre-record ring (prerecord.go), a slicer that cuts at the first IDR at or
// after the slice duration (slicer.go), an uploader with upload/reply
// timeouts and retries (uploader.go); per SDK a rate-limited backfill worker
// (backfill.go), plan polling (plan.go), events (event.go) and a skewed
// device clock with corrections (AdjustClock).
//
// Slices are muxed by Deps.Muxers: MediaMuxers gives the TS and fMP4 muxers
// of media/mpegts and media/fmp4 (what sim/cloud and real clouds parse);
// DefaultMuxers the frame-list container of framelist.go, for tests whose
// cloud reads it. A slice keeps only its frames, compactly (an av.Packed:
// a 24-byte record per frame, shared NAL units by reference, its own small
// ones such as the timestamp SEI copied; the pushed av.Frame is not kept
// once sliced): the media muxers are Cutters whose content is muxed on demand
// for every attempt, retry, backfill and DumpFile chunk, its exact size known
// at the cut; the frame-list container, which is not a Cutter, still builds
// its body in a BodyPool that a fleet can share.
//
// Everything runs on the injected clock.Clock. Cloud calls go through a
// caller (caller.go): against a cloud that implements VirtualStorage (the
// in-memory fakecloud) a call is made at the virtual time its reply arrives,
// with no goroutine, so a run on clock.Fake is single-threaded and replays
// exactly; against any other cloudapi.Storage (the HTTP client) each blocking
// call runs in a goroutine tied to the SDK's context with a clock-driven
// deadline, and Exit cancels and waits for all of them.
//
// Frame accounting: every frame given to PushStream yields one FrameSent and
// later exactly one fate: FrameDropped (with a reason) when the SDK refuses or
// discards it, FrameLost (slice_expired or no_service) when its slice is given
// up, FrameRejected from the SDK when the cloud refuses the upload request
// itself (bad request), or the fates the cloud emits: for the frames of a
// slice it stores (FrameDelivered, or FrameRejected for a frame that fails
// verification) and for those of a slice it refuses on content (bad slice,
// first frame not IDR, too large: FrameRejected for the video and audio
// sequence ranges the upload names). A slice's frames are contiguous in
// each stream, so those ranges name exactly its frames. Until its fate a
// frame is in flight in a buffer or slice that InFlight enumerates.
package cstorage
