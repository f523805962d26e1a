package mpegts

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// audNALU is the access unit delimiter the Muxer puts first in every PES:
// H.264 primary_pic_type 7 (any), H.265 pic_type 2 (I, P, B).
func audNALU(c av.Codec) []byte {
	if c == av.H265 {
		h := h265.Header(h265.NALAUD)
		return []byte{h[0], h[1], 0x50}
	}
	return []byte{byte(h264.NALAUD), 0xF0}
}

func isAUD(c av.Codec, u []byte) bool {
	if c == av.H265 {
		return h265.Type(u) == h265.NALAUD
	}
	return h264.Type(u) == h264.NALAUD
}
