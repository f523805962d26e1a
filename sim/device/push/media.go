package push

import (
	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

// paramCache remembers the last parameter sets that passed the checks, so a
// stream repeating the same (shared, immutable) SPS/PPS on every IDR is
// parsed once: a repeat is recognised by identity of the byte slices or,
// failing that, by equal contents.
type paramCache struct {
	vps, sps, pps []byte
}

func same(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return string(a) == string(b)
}

// checkVideo runs the SDK's video checks (RP5) on one access unit given as
// NAL units without start codes. It returns EventNone when the frame may be
// sent, and whether the access unit is an IDR.
func (pc *paramCache) checkVideo(codec av.Codec, nalus [][]byte) (Event, bool, string) {
	if len(nalus) == 0 {
		return EventVideoDataError, false, "empty access unit"
	}
	for _, n := range nalus {
		if len(n) == 0 || n[0]&0x80 != 0 {
			return EventVideoDataError, false, "empty NAL unit or forbidden_zero_bit set"
		}
	}
	switch codec {
	case av.H264:
		key := h264.IsKeyFrame(nalus)
		if !key {
			return EventNone, false, ""
		}
		sps, pps := h264.ParameterSets(nalus)
		if sps == nil || pps == nil {
			return EventNoSPSPPS, true, "IDR without SPS/PPS"
		}
		if same(sps, pc.sps) && same(pps, pc.pps) {
			return EventNone, true, ""
		}
		s, err := h264.ParseSPS(sps)
		if err != nil {
			return EventBadSPS, true, err.Error()
		}
		p, err := h264.ParsePPS(pps)
		if err != nil {
			return EventBadPPS, true, err.Error()
		}
		if p.SPSID != s.ID {
			return EventBadSPSPPS, true, "PPS refers to another SPS"
		}
		if _, err := h264.NewDecoderConfig(sps, pps); err != nil {
			return EventBadSPSPPS, true, err.Error()
		}
		pc.sps, pc.pps = sps, pps
		return EventNone, true, ""
	case av.H265:
		key := h265.IsKeyFrame(nalus)
		if !key {
			return EventNone, false, ""
		}
		vps, sps, pps := h265.ParameterSets(nalus)
		if vps == nil || sps == nil || pps == nil {
			return EventNoSPSPPS, true, "IRAP without VPS/SPS/PPS"
		}
		if same(vps, pc.vps) && same(sps, pc.sps) && same(pps, pc.pps) {
			return EventNone, true, ""
		}
		if _, err := h265.ParseVPS(vps); err != nil {
			return EventBadVPS, true, err.Error()
		}
		s, err := h265.ParseSPS(sps)
		if err != nil {
			return EventBadSPS, true, err.Error()
		}
		p, err := h265.ParsePPS(pps)
		if err != nil {
			return EventBadPPS, true, err.Error()
		}
		if p.SPSID != s.ID {
			return EventBadSPSPPS, true, "PPS refers to another SPS"
		}
		if _, err := h265.NewDecoderConfig(vps, sps, pps); err != nil {
			return EventBadSPSPPS, true, err.Error()
		}
		pc.vps, pc.sps, pc.pps = vps, sps, pps
		return EventNone, true, ""
	}
	return EventInvalidParam, false, "not a video codec"
}

// checkAudio checks a raw audio access unit (SendFrame). For AAC the
// equivalent of the ADTS check: a known AudioSpecificConfig and a payload an
// ADTS header could describe.
func checkAudio(codec av.Codec, cfg *aac.Config, payload []byte) (Event, string) {
	switch codec {
	case av.AAC:
		if cfg == nil {
			return EventADTSError, "no AudioSpecificConfig for raw AAC"
		}
		if len(payload) == 0 || len(payload) > aac.MaxADTSPayload {
			return EventADTSError, "AAC frame size not describable by ADTS"
		}
	case av.PCMA, av.PCMU:
		if len(payload) == 0 {
			return EventAudioDataError, "empty G.711 frame"
		}
	default:
		return EventInvalidParam, "not an audio codec"
	}
	return EventNone, ""
}

// fromAnnexB turns SendPacket's Annex-B video into NAL units (sub-slices of
// data, no copy); data without a leading start code is 0x52.
func fromAnnexB(dst [][]byte, data []byte) ([][]byte, Event, string) {
	if len(data) < 4 || !(data[0] == 0 && data[1] == 0 && (data[2] == 1 || (data[2] == 0 && data[3] == 1))) {
		return dst, EventVideoDataError, "no Annex-B start code"
	}
	nalus, err := h264.SplitAnnexB(dst, data)
	if err != nil {
		return dst, EventVideoDataError, err.Error()
	}
	return nalus, EventNone, ""
}

// fromADTS takes SendPacket's AAC with its ADTS header: the raw frame and
// the configuration the header describes; a missing or broken header is 0x51.
func fromADTS(data []byte) ([]byte, aac.Config, Event, string) {
	h, payload, rest, err := aac.SplitADTS(data)
	if err != nil {
		return nil, aac.Config{}, EventADTSError, err.Error()
	}
	if len(rest) != 0 || h.RawDataBlocks != 1 {
		return nil, aac.Config{}, EventADTSError, "one ADTS frame with one raw data block expected"
	}
	return payload, h.Config(), EventNone, ""
}
