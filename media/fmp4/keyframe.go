package fmp4

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// VideoConfigFor builds the video track description from a key frame's
// in-band parameter sets: the decoder configuration record and the
// picture size from the SPS.
func VideoConfigFor(f *av.Frame, frameDuration time.Duration) (VideoConfig, error) {
	vc := VideoConfig{Codec: f.Codec, FrameDuration: frameDuration}
	switch f.Codec {
	case av.H264:
		sps, pps := h264.ParameterSets(f.NALUs)
		if sps == nil || pps == nil {
			return vc, fmt.Errorf("fmp4: H.264 frame %d lacks SPS/PPS", f.Seq)
		}
		s, err := h264.ParseSPS(sps)
		if err != nil {
			return vc, fmt.Errorf("fmp4: %w", err)
		}
		dc, err := h264.NewDecoderConfig(sps, pps)
		if err != nil {
			return vc, fmt.Errorf("fmp4: %w", err)
		}
		if vc.Record, err = dc.Append(nil); err != nil {
			return vc, fmt.Errorf("fmp4: %w", err)
		}
		vc.Width, vc.Height = s.Width, s.Height
	case av.H265:
		vps, sps, pps := h265.ParameterSets(f.NALUs)
		if vps == nil || sps == nil || pps == nil {
			return vc, fmt.Errorf("fmp4: H.265 frame %d lacks VPS/SPS/PPS", f.Seq)
		}
		s, err := h265.ParseSPS(sps)
		if err != nil {
			return vc, fmt.Errorf("fmp4: %w", err)
		}
		dc, err := h265.NewDecoderConfig(vps, sps, pps)
		if err != nil {
			return vc, fmt.Errorf("fmp4: %w", err)
		}
		if vc.Record, err = dc.Append(nil); err != nil {
			return vc, fmt.Errorf("fmp4: %w", err)
		}
		vc.Width, vc.Height = s.Width, s.Height
	default:
		return vc, fmt.Errorf("fmp4: video codec %v not supported", f.Codec)
	}
	return vc, nil
}
