package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// startsStream reports whether f can start a recorded stream (CS10): a video
// IDR access unit carrying its parameter sets (SPS and PPS; VPS too for H.265).
func startsStream(f *av.Frame) bool {
	if !f.Key {
		return false
	}
	switch f.Codec {
	case av.H264:
		var sps, pps, idr bool
		for _, n := range f.NALUs {
			switch h264.Type(n) {
			case h264.NALSPS:
				sps = true
			case h264.NALPPS:
				pps = true
			case h264.NALIDR:
				idr = true
			}
		}
		return sps && pps && idr
	case av.H265:
		var vps, sps, pps, irap bool
		for _, n := range f.NALUs {
			t := h265.Type(n)
			switch {
			case t == h265.NALVPS:
				vps = true
			case t == h265.NALSPS:
				sps = true
			case t == h265.NALPPS:
				pps = true
			case t.IsIRAP():
				irap = true
			}
		}
		return vps && sps && pps && irap
	}
	return false
}

// isKeyVideo reports whether f is a video key frame (the end of a
// drop-until-IDR run, CS13).
func isKeyVideo(f *av.Frame) bool { return f.Key && f.Codec.IsVideo() }
