package fmp4

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// keep reports whether a NAL unit goes into a sample: parameter sets are in
// the sample entry (avc1/hvc1) and access unit delimiters are dropped.
func (m *Muxer) keep(u []byte) bool {
	if len(u) == 0 {
		return false
	}
	if m.cfg.Video.Codec == av.H265 {
		switch h265.Type(u) {
		case h265.NALVPS, h265.NALSPS, h265.NALPPS, h265.NALAUD:
			return false
		}
		return true
	}
	switch h264.Type(u) {
	case h264.NALSPS, h264.NALPPS, h264.NALAUD:
		return false
	}
	return true
}

// auInfo reports whether an access unit holds a key picture (H.264 IDR,
// H.265 IRAP) and carries its parameter sets in band.
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
