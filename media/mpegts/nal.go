package mpegts

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// startCode precedes every NAL unit the Muxer writes (the 4-byte form is
// valid everywhere in an access unit).
var startCode = []byte{0, 0, 0, 1}

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

// auInfo classifies an access unit's NAL units: an IDR (H.265: IDR, the
// IRAP types a decoder can start at are counted as key frames too) and
// whether the parameter sets it needs are present.
func auInfo(c av.Codec, nalus [][]byte) (key, params bool) {
	var vps, sps, pps bool
	for _, u := range nalus {
		if c == av.H265 {
			switch t := h265.Type(u); {
			case t == h265.NALVPS:
				vps = true
			case t == h265.NALSPS:
				sps = true
			case t == h265.NALPPS:
				pps = true
			case t.IsIRAP():
				key = true
			}
			continue
		}
		switch h264.Type(u) {
		case h264.NALSPS:
			sps = true
		case h264.NALPPS:
			pps = true
		case h264.NALIDR:
			key = true
		}
	}
	if c == av.H265 {
		return key, vps && sps && pps
	}
	return key, sps && pps
}
