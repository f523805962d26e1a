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
