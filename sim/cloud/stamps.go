package cloud

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// fromStamp converts a media stamp.
func fromStamp(s stamp.Stamp) FrameStamp {
	return FrameStamp{Device: int(s.Device), Seq: s.Seq, Capture: s.CaptureTime()}
}

// readNALUStamp is the StampReader of the RTMP path.
func readNALUStamp(c av.Codec, nalus [][]byte) (FrameStamp, bool) {
	s, ok := stamp.ReadNALUs(c, nalus)
	if !ok {
		return FrameStamp{}, false
	}
	return fromStamp(s), true
}

// toFrameStamp converts a stamp as the slice verifiers return it. It takes
// any so that it follows media/mpegts and media/fmp4 while they move from
// their provisional stamp type to stamp.Stamp; a stamp of another type has
// no device (and its frame is rejected as stamp_mismatch or wrong_device).
func toFrameStamp(v any) FrameStamp {
	if s, ok := v.(stamp.Stamp); ok {
		return fromStamp(s)
	}
	return FrameStamp{Device: -1}
}
