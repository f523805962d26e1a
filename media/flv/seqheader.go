package flv

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// AppendVideoSequenceHeaderFor appends the sequence-header tag body for
// the parameter sets carried in band by key frame f: an
// AVCDecoderConfigurationRecord from its SPS/PPS, or an
// HEVCDecoderConfigurationRecord from its VPS/SPS/PPS. On error dst is
// returned unchanged.
func AppendVideoSequenceHeaderFor(dst []byte, f *av.Frame, mode HEVCMode) ([]byte, error) {
	n := len(dst)
	switch f.Codec {
	case av.H264:
		sps, pps := h264.ParameterSets(f.NALUs)
		if sps == nil || pps == nil {
			return dst, fmt.Errorf("%w: H.264 frame %d lacks SPS/PPS", ErrMalformed, f.Seq)
		}
		dc, err := h264.NewDecoderConfig(sps, pps)
		if err != nil {
			return dst, err
		}
		if dst, err = AppendVideoSequenceHeader(dst, av.H264, mode, nil); err != nil {
			return dst[:n], err
		}
		if dst, err = dc.Append(dst); err != nil {
			return dst[:n], err
		}
		return dst, nil
	case av.H265:
		vps, sps, pps := h265.ParameterSets(f.NALUs)
		if vps == nil || sps == nil || pps == nil {
			return dst, fmt.Errorf("%w: H.265 frame %d lacks VPS/SPS/PPS", ErrMalformed, f.Seq)
		}
		dc, err := h265.NewDecoderConfig(vps, sps, pps)
		if err != nil {
			return dst, err
		}
		if dst, err = AppendVideoSequenceHeader(dst, av.H265, mode, nil); err != nil {
			return dst[:n], err
		}
		if dst, err = dc.Append(dst); err != nil {
			return dst[:n], err
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%w: video codec %v", ErrUnsupported, f.Codec)
}
