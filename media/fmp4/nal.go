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

// isAUD reports whether u is an access unit delimiter.
func isAUD(c av.Codec, u []byte) bool {
	if c == av.H265 {
		return h265.Type(u) == h265.NALAUD
	}
	return len(u) > 0 && h264.Type(u) == h264.NALAUD
}

// auInfo reports whether an access unit holds a key picture (H.264 IDR,
// H.265 IRAP) and carries its parameter sets (SPS/PPS, and VPS for H.265).
func auInfo(c av.Codec, nalus [][]byte) (key, params bool) {
	if c == av.H265 {
		vps, sps, pps := h265.ParameterSets(nalus)
		return h265.IsKeyFrame(nalus), vps != nil && sps != nil && pps != nil
	}
	sps, pps := h264.ParameterSets(nalus)
	return h264.IsKeyFrame(nalus), sps != nil && pps != nil
}
