package h265

import (
	"errors"
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// Errors for NAL units of the wrong type.
var (
	ErrNotVPS = errors.New("h265: not a VPS NAL unit")
	ErrNotSPS = errors.New("h265: not an SPS NAL unit")
	ErrNotPPS = errors.New("h265: not a PPS NAL unit")
)

// VPS is the leading part of a video parameter set (ITU-T H.265 7.3.2.1).
type VPS struct {
	ID               uint8
	MaxLayersMinus1  uint8
	MaxSubLayersMin1 uint8
	TemporalIDNested bool
	PTL              ProfileTierLevel
}

// ParseVPS parses a VPS NAL unit (with its two-byte header, escaped as on
// the wire).
func ParseVPS(nalu []byte) (VPS, error) {
	var v VPS
	if Type(nalu) != NALVPS {
		return v, ErrNotVPS
	}
	r := bits.NewEBSPReader(nalu[2:])
	v.ID = uint8(r.U(4))
	r.U(2) // base layer internal/available flags
	v.MaxLayersMinus1 = uint8(r.U(6))
	v.MaxSubLayersMin1 = uint8(r.U(3))
	v.TemporalIDNested = r.Flag()
	if r.U(16) != 0xFFFF && r.Err() == nil {
		return v, errors.New("h265: VPS: vps_reserved_0xffff_16bits is not 0xFFFF")
	}
	if v.MaxSubLayersMin1 > 6 {
		return v, fmt.Errorf("h265: VPS: vps_max_sub_layers_minus1 %d > 6", v.MaxSubLayersMin1)
	}
	v.PTL = parsePTL(&r, int(v.MaxSubLayersMin1))
	if r.Err() != nil {
		return v, fmt.Errorf("h265: VPS: %w", r.Err())
	}
	return v, nil
}

// SPS is the part of a sequence parameter set (ITU-T H.265 7.3.2.2) that
// containers, players and the synthesiser need.
type SPS struct {
	VPSID            uint8
	MaxSubLayersMin1 uint8
	TemporalIDNested bool
	PTL              ProfileTierLevel
	ID               uint32
	ChromaFormatIDC  uint32
	SeparateColour   bool
	PicWidth         uint32 // pic_width_in_luma_samples
	PicHeight        uint32 // pic_height_in_luma_samples
	ConfWinLeft      uint32 // conformance window offsets, in chroma sample units
	ConfWinRight     uint32
	ConfWinTop       uint32
	ConfWinBottom    uint32
	BitDepthLuma     uint32
	BitDepthChroma   uint32
	Log2MaxPOCLsb    uint32
	MaxDecPicBufMin1 uint32 // for the highest sub-layer
	MaxNumReorder    uint32
	Log2MinCbSize    uint32
	Log2CtbSize      uint32
	Log2MinTbSize    uint32
	Log2MaxTbSize    uint32
	ScalingList      bool
	AMP              bool
	SAO              bool
	PCM              bool
	NumShortTermRPS  uint32
	LongTermRefs     bool
	TemporalMVP      bool
	StrongIntra      bool

	// Width and height in luma samples after the conformance window.
	Width, Height int

	// Timing from the VUI, when present.
	NumUnitsInTick, TimeScale uint32
}

// FrameRate returns time_scale / num_units_in_tick from the VUI, or 0.
func (s *SPS) FrameRate() float64 {
	if s.NumUnitsInTick == 0 {
		return 0
	}
	return float64(s.TimeScale) / float64(s.NumUnitsInTick)
}

const maxPicDim = 16888 // level 6.2 limit: sqrt(8 × MaxLumaPs)

// ParseSPS parses an SPS NAL unit (with its two-byte header, escaped as on
// the wire) through the VUI timing information.
func ParseSPS(nalu []byte) (SPS, error) {
	var s SPS
	if Type(nalu) != NALSPS {
		return s, ErrNotSPS
	}
	r := bits.NewEBSPReader(nalu[2:])
	s.VPSID = uint8(r.U(4))
	s.MaxSubLayersMin1 = uint8(r.U(3))
	s.TemporalIDNested = r.Flag()
	if s.MaxSubLayersMin1 > 6 {
		return s, fmt.Errorf("h265: SPS: sps_max_sub_layers_minus1 %d > 6", s.MaxSubLayersMin1)
	}
	s.PTL = parsePTL(&r, int(s.MaxSubLayersMin1))
	id, cf := r.UE(), r.UE()
	if r.Err() != nil {
		return s, fmt.Errorf("h265: SPS: %w", r.Err())
	}
	if id > 15 || cf > 3 {
		return s, fmt.Errorf("h265: SPS: sps_seq_parameter_set_id %d or chroma_format_idc %d out of range", id, cf)
	}
	s.ID, s.ChromaFormatIDC = uint32(id), uint32(cf)
	if cf == 3 {
		s.SeparateColour = r.Flag()
	}
	w, h := r.UE(), r.UE()
	if w == 0 || h == 0 || w > maxPicDim || h > maxPicDim {
		if r.Err() != nil {
			return s, fmt.Errorf("h265: SPS: %w", r.Err())
		}
		return s, fmt.Errorf("h265: SPS: picture size %dx%d out of range", w, h)
	}
	s.PicWidth, s.PicHeight = uint32(w), uint32(h)
	if r.Flag() {
		s.ConfWinLeft, s.ConfWinRight = uint32(r.UE()), uint32(r.UE())
		s.ConfWinTop, s.ConfWinBottom = uint32(r.UE()), uint32(r.UE())
	}
	bl, bc := r.UE(), r.UE()
	if bl > 8 || bc > 8 {
		return s, fmt.Errorf("h265: SPS: bit depth minus 8 (%d, %d) > 8", bl, bc)
	}
	s.BitDepthLuma, s.BitDepthChroma = uint32(bl)+8, uint32(bc)+8
	lp := r.UE()
	if lp > 12 {
		return s, fmt.Errorf("h265: SPS: log2_max_pic_order_cnt_lsb_minus4 %d > 12", lp)
	}
	s.Log2MaxPOCLsb = uint32(lp) + 4
	first := int(s.MaxSubLayersMin1)
	if r.Flag() { // sps_sub_layer_ordering_info_present_flag
		first = 0
	}
	for i := first; i <= int(s.MaxSubLayersMin1); i++ {
		s.MaxDecPicBufMin1 = uint32(r.UE())
		s.MaxNumReorder = uint32(r.UE())
		r.UE() // sps_max_latency_increase_plus1
	}
	mincb, dcb, mintb, dtb := r.UE(), r.UE(), r.UE(), r.UE()
	if r.Err() != nil {
		return s, fmt.Errorf("h265: SPS: %w", r.Err())
	}
	if mincb > 3 || mincb+3+dcb > 6 || mintb > 3 || mintb+2+dtb > 5 {
		return s, fmt.Errorf("h265: SPS: block sizes out of range")
	}
	s.Log2MinCbSize, s.Log2CtbSize = uint32(mincb)+3, uint32(mincb+3+dcb)
	s.Log2MinTbSize, s.Log2MaxTbSize = uint32(mintb)+2, uint32(mintb+2+dtb)
	if err := s.computeSize(); err != nil {
		return s, err
	}
	r.UE() // max_transform_hierarchy_depth_inter
	r.UE() // max_transform_hierarchy_depth_intra
	s.ScalingList = r.Flag()
	if s.ScalingList && r.Flag() { // sps_scaling_list_data_present_flag
		skipScalingListData(&r)
	}
	s.AMP = r.Flag()
	s.SAO = r.Flag()
	s.PCM = r.Flag()
	if s.PCM {
		r.U(8)
		r.UE()
		r.UE()
		r.Flag()
	}
	n := r.UE()
	if n > 64 {
		return s, fmt.Errorf("h265: SPS: num_short_term_ref_pic_sets %d > 64", n)
	}
	s.NumShortTermRPS = uint32(n)
	var sets [64]rps
	for i := 0; i < int(n) && r.Err() == nil; i++ {
		if err := parseRPS(&r, sets[:i], &sets[i]); err != nil {
			return s, err
		}
	}
	s.LongTermRefs = r.Flag()
	if s.LongTermRefs {
		k := r.UE()
		if k > 32 {
			return s, fmt.Errorf("h265: SPS: num_long_term_ref_pics_sps %d > 32", k)
		}
		for i := uint64(0); i < k && r.Err() == nil; i++ {
			r.U(int(s.Log2MaxPOCLsb))
			r.Flag()
		}
	}
	s.TemporalMVP = r.Flag()
	s.StrongIntra = r.Flag()
	if r.Flag() { // vui_parameters_present_flag
		parseVUITiming(&r, &s)
	}
	if r.Err() != nil {
		return s, fmt.Errorf("h265: SPS: %w", r.Err())
	}
	return s, nil
}

func (s *SPS) computeSize() error {
	subW, subH := uint32(1), uint32(1)
	if !s.SeparateColour {
		switch s.ChromaFormatIDC {
		case 1:
			subW, subH = 2, 2
		case 2:
			subW = 2
		}
	}
	cx := uint64(subW) * (uint64(s.ConfWinLeft) + uint64(s.ConfWinRight))
	cy := uint64(subH) * (uint64(s.ConfWinTop) + uint64(s.ConfWinBottom))
	if cx >= uint64(s.PicWidth) || cy >= uint64(s.PicHeight) {
		return fmt.Errorf("h265: SPS: conformance window (%d, %d) leaves no picture of %dx%d", cx, cy, s.PicWidth, s.PicHeight)
	}
	s.Width, s.Height = int(uint64(s.PicWidth)-cx), int(uint64(s.PicHeight)-cy)
	return nil
}

func skipScalingListData(r *bits.Reader) {
	for sizeID := 0; sizeID < 4; sizeID++ {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if !r.Flag() { // scaling_list_pred_mode_flag
				r.UE()
				continue
			}
			n := 1 << uint(4+sizeID<<1)
			if n > 64 {
				n = 64
			}
			if sizeID > 1 {
				r.SE()
			}
			for i := 0; i < n && r.Err() == nil; i++ {
				r.SE()
			}
		}
	}
}

// rps is a short-term reference picture set as the derivation of
// ITU-T H.265 7.4.8 needs it to predict later sets.
type rps struct {
	numNeg, numPos int
	deltaPOC       [32]int32 // negatives first (s0), then positives (s1)
}

func (p *rps) num() int { return p.numNeg + p.numPos }

func parseRPS(r *bits.Reader, prev []rps, out *rps) error {
	idx := len(prev)
	if idx != 0 && r.Flag() { // inter_ref_pic_set_prediction_flag
		ref := &prev[idx-1] // delta_idx_minus1 is only coded in slice headers
		sign := r.Flag()
		abs := int32(r.UE()) + 1
		if abs > 1<<15 {
			return fmt.Errorf("h265: SPS: abs_delta_rps_minus1 too large")
		}
		dRps := abs
		if sign {
			dRps = -abs
		}
		var used, useDelta [33]bool
		for j := 0; j <= ref.num(); j++ {
			used[j] = r.Flag()
			useDelta[j] = true
			if !used[j] {
				useDelta[j] = r.Flag()
			}
		}
		// 7-61 and 7-62.
		var neg, pos []int32
		var nb, pb [33]int32
		neg, pos = nb[:0], pb[:0]
		s0 := ref.deltaPOC[:ref.numNeg]
		s1 := ref.deltaPOC[ref.numNeg:ref.num()]
		for i := len(s1) - 1; i >= 0; i-- {
			if d := s1[i] + dRps; d < 0 && useDelta[ref.numNeg+i] {
				neg = append(neg, d)
			}
		}
		if dRps < 0 && useDelta[ref.num()] {
			neg = append(neg, dRps)
		}
		for i := 0; i < len(s0); i++ {
			if d := s0[i] + dRps; d < 0 && useDelta[i] {
				neg = append(neg, d)
			}
		}
		for i := len(s0) - 1; i >= 0; i-- {
			if d := s0[i] + dRps; d > 0 && useDelta[i] {
				pos = append(pos, d)
			}
		}
		if dRps > 0 && useDelta[ref.num()] {
			pos = append(pos, dRps)
		}
		for i := 0; i < len(s1); i++ {
			if d := s1[i] + dRps; d > 0 && useDelta[ref.numNeg+i] {
				pos = append(pos, d)
			}
		}
		if len(neg)+len(pos) > 16 {
			return fmt.Errorf("h265: SPS: predicted RPS holds %d pictures", len(neg)+len(pos))
		}
		out.numNeg, out.numPos = len(neg), len(pos)
		copy(out.deltaPOC[:], neg)
		copy(out.deltaPOC[len(neg):], pos)
		return r.Err()
	}
	nn, np := r.UE(), r.UE()
	if nn > 16 || np > 16 || nn+np > 16 {
		return fmt.Errorf("h265: SPS: RPS with %d negative and %d positive pictures", nn, np)
	}
	out.numNeg, out.numPos = int(nn), int(np)
	var poc int32
	for i := 0; i < int(nn); i++ {
		poc -= int32(r.UE()&0xFFFF) + 1
		out.deltaPOC[i] = poc
		r.Flag()
	}
	poc = 0
	for i := 0; i < int(np); i++ {
		poc += int32(r.UE()&0xFFFF) + 1
		out.deltaPOC[int(nn)+i] = poc
		r.Flag()
	}
	return r.Err()
}

func parseVUITiming(r *bits.Reader, s *SPS) {
	if r.Flag() { // aspect_ratio_info_present_flag
		if r.U(8) == 255 {
			r.U(32)
		}
	}
	if r.Flag() { // overscan_info_present_flag
		r.Flag()
	}
	if r.Flag() { // video_signal_type_present_flag
		r.U(4)
		if r.Flag() {
			r.U(24)
		}
	}
	if r.Flag() { // chroma_loc_info_present_flag
		r.UE()
		r.UE()
	}
	r.U(3)        // neutral_chroma, field_seq, frame_field_info_present
	if r.Flag() { // default_display_window_flag
		r.UE()
		r.UE()
		r.UE()
		r.UE()
	}
	if r.Flag() { // vui_timing_info_present_flag
		s.NumUnitsInTick = uint32(r.U(32))
		s.TimeScale = uint32(r.U(32))
	}
	// The rest of the VUI (HRD, bitstream restriction) is not needed.
}

// PPS is the leading part of a picture parameter set (ITU-T H.265
// 7.3.2.3.1).
type PPS struct {
	ID                   uint32
	SPSID                uint32
	DependentSlices      bool
	OutputFlagPresent    bool
	NumExtraSliceHdrBits uint32
	SignDataHiding       bool
	CABACInitPresent     bool
	NumRefIdxL0Default   uint32
	NumRefIdxL1Default   uint32
	InitQP               int32
}

// ParsePPS parses the leading fields of a PPS NAL unit.
func ParsePPS(nalu []byte) (PPS, error) {
	var p PPS
	if Type(nalu) != NALPPS {
		return p, ErrNotPPS
	}
	r := bits.NewEBSPReader(nalu[2:])
	id, sps := r.UE(), r.UE()
	p.DependentSlices = r.Flag()
	p.OutputFlagPresent = r.Flag()
	p.NumExtraSliceHdrBits = uint32(r.U(3))
	p.SignDataHiding = r.Flag()
	p.CABACInitPresent = r.Flag()
	l0, l1 := r.UE(), r.UE()
	qp := r.SE()
	if r.Err() != nil {
		return p, fmt.Errorf("h265: PPS: %w", r.Err())
	}
	if id > 63 || sps > 15 || l0 > 14 || l1 > 14 || qp < -26-48 || qp > 25 {
		return p, fmt.Errorf("h265: PPS: field out of range (pps %d, sps %d, refs %d/%d, qp %d)", id, sps, l0, l1, qp)
	}
	p.ID, p.SPSID = uint32(id), uint32(sps)
	p.NumRefIdxL0Default, p.NumRefIdxL1Default = uint32(l0)+1, uint32(l1)+1
	p.InitQP = int32(26 + qp)
	return p, nil
}
