package h264

import (
	"errors"
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// SPS is the part of a sequence parameter set (ITU-T H.264 7.3.2.1.1) that
// containers, players and the synthesiser need.
type SPS struct {
	ProfileIDC      uint8
	ConstraintFlags uint8 // constraint_set0_flag..constraint_set5_flag, reserved bits, as the second byte
	LevelIDC        uint8
	ID              uint32

	ChromaFormatIDC                          uint32 // 1 = 4:2:0 unless stated
	SeparateColour                           bool
	BitDepthLuma                             uint32
	BitDepthChroma                           uint32
	ScalingMatrix                            bool
	Log2MaxFrameNum                          uint32
	POCType                                  uint32
	Log2MaxPOCLsb                            uint32 // POC type 0 only
	MaxNumRefFrames                          uint32
	GapsInFrameNum                           bool
	WidthInMbs                               uint32
	HeightInMapUnits                         uint32
	FrameMbsOnly                             bool
	MbAdaptiveFrame                          bool
	Direct8x8                                bool
	CropLeft, CropRight, CropTop, CropBottom uint32 // in crop units (frame_crop_*_offset)

	// Width and height in luma samples after cropping.
	Width, Height int

	VUI *VUI // nil when vui_parameters_present_flag is 0
}

// VUI holds the video usability information fields fleetsim uses.
type VUI struct {
	SARWidth, SARHeight uint32
	FullRange           bool
	TimingInfo          bool
	NumUnitsInTick      uint32
	TimeScale           uint32
	FixedFrameRate      bool
	BitstreamRestrict   bool
	MaxNumReorderFrames uint32
	MaxDecFrameBuffer   uint32
}

// FrameRate returns the frame rate from VUI timing (time_scale /
// (2·num_units_in_tick) for frame coding), or 0 when absent.
func (s *SPS) FrameRate() float64 {
	if s.VUI == nil || !s.VUI.TimingInfo || s.VUI.NumUnitsInTick == 0 {
		return 0
	}
	return float64(s.VUI.TimeScale) / (2 * float64(s.VUI.NumUnitsInTick))
}

// Codec returns the RFC 6381 codecs string, e.g. "avc1.42C01E".
func (s *SPS) Codec() string {
	return fmt.Sprintf("avc1.%02X%02X%02X", s.ProfileIDC, s.ConstraintFlags, s.LevelIDC)
}

// Limits on values read from untrusted SPS data.
const (
	maxMbsDim = 2048 // macroblocks per dimension (32768 samples)
)

// ErrNotSPS is returned when a NAL unit is not a sequence parameter set.
var ErrNotSPS = errors.New("h264: not an SPS NAL unit")

func hasChromaInfo(profile uint8) bool {
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// ParseSPS parses an SPS NAL unit (with its one-byte header, emulation
// prevention bytes as on the wire).
func ParseSPS(nalu []byte) (SPS, error) {
	var s SPS
	if Type(nalu) != NALSPS {
		return s, ErrNotSPS
	}
	r := bits.NewEBSPReader(nalu[1:])
	s.ProfileIDC = uint8(r.U(8))
	s.ConstraintFlags = uint8(r.U(8))
	s.LevelIDC = uint8(r.U(8))
	s.ID = uint32(r.UE())
	if r.Err() != nil {
		return s, fmt.Errorf("h264: SPS: %w", r.Err())
	}
	if s.ID > 31 {
		return s, fmt.Errorf("h264: SPS: seq_parameter_set_id %d > 31", s.ID)
	}
	s.ChromaFormatIDC = 1
	s.BitDepthLuma, s.BitDepthChroma = 8, 8
	if hasChromaInfo(s.ProfileIDC) {
		s.ChromaFormatIDC = uint32(r.UE())
		if s.ChromaFormatIDC > 3 {
			return s, fmt.Errorf("h264: SPS: chroma_format_idc %d > 3", s.ChromaFormatIDC)
		}
		if s.ChromaFormatIDC == 3 {
			s.SeparateColour = r.Flag()
		}
		bl, bc := r.UE(), r.UE()
		if bl > 6 || bc > 6 {
			return s, fmt.Errorf("h264: SPS: bit depth minus 8 (%d, %d) > 6", bl, bc)
		}
		s.BitDepthLuma, s.BitDepthChroma = uint32(bl)+8, uint32(bc)+8
		r.Flag() // qpprime_y_zero_transform_bypass_flag
		s.ScalingMatrix = r.Flag()
		if s.ScalingMatrix {
			n := 8
			if s.ChromaFormatIDC == 3 {
				n = 12
			}
			for i := 0; i < n; i++ {
				if r.Flag() {
					size := 16
					if i >= 6 {
						size = 64
					}
					skipScalingList(&r, size)
				}
			}
		}
	}
	l2 := r.UE()
	if l2 > 12 {
		return s, fmt.Errorf("h264: SPS: log2_max_frame_num_minus4 %d > 12", l2)
	}
	s.Log2MaxFrameNum = uint32(l2) + 4
	s.POCType = uint32(r.UE())
	switch s.POCType {
	case 0:
		l := r.UE()
		if l > 12 {
			return s, fmt.Errorf("h264: SPS: log2_max_pic_order_cnt_lsb_minus4 %d > 12", l)
		}
		s.Log2MaxPOCLsb = uint32(l) + 4
	case 1:
		r.Flag() // delta_pic_order_always_zero_flag
		r.SE()   // offset_for_non_ref_pic
		r.SE()   // offset_for_top_to_bottom_field
		n := r.UE()
		if n > 255 {
			return s, fmt.Errorf("h264: SPS: num_ref_frames_in_pic_order_cnt_cycle %d > 255", n)
		}
		for i := uint64(0); i < n && r.Err() == nil; i++ {
			r.SE()
		}
	case 2:
	default:
		return s, fmt.Errorf("h264: SPS: pic_order_cnt_type %d > 2", s.POCType)
	}
	s.MaxNumRefFrames = uint32(r.UE())
	s.GapsInFrameNum = r.Flag()
	w, h := r.UE(), r.UE()
	if r.Err() != nil {
		return s, fmt.Errorf("h264: SPS: %w", r.Err())
	}
	if w >= maxMbsDim || h >= maxMbsDim {
		return s, fmt.Errorf("h264: SPS: picture of %d×%d macroblocks is too large", w+1, h+1)
	}
	s.WidthInMbs, s.HeightInMapUnits = uint32(w)+1, uint32(h)+1
	s.FrameMbsOnly = r.Flag()
	if !s.FrameMbsOnly {
		s.MbAdaptiveFrame = r.Flag()
	}
	s.Direct8x8 = r.Flag()
	if r.Flag() {
		s.CropLeft, s.CropRight, s.CropTop, s.CropBottom = uint32(r.UE()), uint32(r.UE()), uint32(r.UE()), uint32(r.UE())
	}
	vui := r.Flag()
	if r.Err() != nil {
		return s, fmt.Errorf("h264: SPS: %w", r.Err())
	}
	if err := s.computeSize(); err != nil {
		return s, err
	}
	if vui {
		v, err := parseVUI(&r)
		if err != nil {
			return s, err
		}
		s.VUI = &v
	}
	return s, nil
}

func (s *SPS) computeSize() error {
	subW, subH := uint32(2), uint32(2)
	switch {
	case s.ChromaFormatIDC == 0 || s.SeparateColour:
		subW, subH = 1, 1
	case s.ChromaFormatIDC == 2:
		subH = 1
	case s.ChromaFormatIDC == 3:
		subW, subH = 1, 1
	}
	frameMul := uint32(2)
	if s.FrameMbsOnly {
		frameMul = 1
	}
	w := s.WidthInMbs * 16
	h := s.HeightInMapUnits * 16 * frameMul
	cx := uint64(subW) * (uint64(s.CropLeft) + uint64(s.CropRight))
	cy := uint64(subH*frameMul) * (uint64(s.CropTop) + uint64(s.CropBottom))
	if cx >= uint64(w) || cy >= uint64(h) {
		return fmt.Errorf("h264: SPS: cropping (%d, %d) leaves no picture of %d×%d", cx, cy, w, h)
	}
	s.Width, s.Height = int(uint64(w)-cx), int(uint64(h)-cy)
	return nil
}

func skipScalingList(r *bits.Reader, size int) {
	last, next := int64(8), int64(8)
	for j := 0; j < size && r.Err() == nil; j++ {
		if next != 0 {
			d := r.SE()
			next = (last + d + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}

func parseVUI(r *bits.Reader) (VUI, error) {
	var v VUI
	if r.Flag() { // aspect_ratio_info_present_flag
		idc := r.U(8)
		if idc == 255 {
			v.SARWidth, v.SARHeight = uint32(r.U(16)), uint32(r.U(16))
		} else if int(idc) < len(sarTable) {
			v.SARWidth, v.SARHeight = sarTable[idc][0], sarTable[idc][1]
		}
	}
	if r.Flag() { // overscan_info_present_flag
		r.Flag()
	}
	if r.Flag() { // video_signal_type_present_flag
		r.U(3)
		v.FullRange = r.Flag()
		if r.Flag() { // colour_description_present_flag
			r.U(24)
		}
	}
	if r.Flag() { // chroma_loc_info_present_flag
		r.UE()
		r.UE()
	}
	v.TimingInfo = r.Flag()
	if v.TimingInfo {
		v.NumUnitsInTick = uint32(r.U(32))
		v.TimeScale = uint32(r.U(32))
		v.FixedFrameRate = r.Flag()
	}
	nal := r.Flag()
	if nal {
		if err := skipHRD(r); err != nil {
			return v, err
		}
	}
	vcl := r.Flag()
	if vcl {
		if err := skipHRD(r); err != nil {
			return v, err
		}
	}
	if nal || vcl {
		r.Flag() // low_delay_hrd_flag
	}
	r.Flag() // pic_struct_present_flag
	v.BitstreamRestrict = r.Flag()
	if v.BitstreamRestrict {
		r.Flag() // motion_vectors_over_pic_boundaries_flag
		r.UE()   // max_bytes_per_pic_denom
		r.UE()   // max_bits_per_mb_denom
		r.UE()   // log2_max_mv_length_horizontal
		r.UE()   // log2_max_mv_length_vertical
		v.MaxNumReorderFrames = uint32(r.UE())
		v.MaxDecFrameBuffer = uint32(r.UE())
	}
	if r.Err() != nil {
		return v, fmt.Errorf("h264: SPS VUI: %w", r.Err())
	}
	return v, nil
}

func skipHRD(r *bits.Reader) error {
	n := r.UE()
	if n > 31 {
		return fmt.Errorf("h264: SPS HRD: cpb_cnt_minus1 %d > 31", n)
	}
	r.U(8) // bit_rate_scale, cpb_size_scale
	for i := uint64(0); i <= n && r.Err() == nil; i++ {
		r.UE()
		r.UE()
		r.Flag()
	}
	r.U(20) // four 5-bit lengths
	return nil
}

// sarTable is Table E-1 (aspect_ratio_idc 0–16).
var sarTable = [...][2]uint32{
	{0, 0}, {1, 1}, {12, 11}, {10, 11}, {16, 11}, {40, 33}, {24, 11}, {20, 11},
	{32, 11}, {80, 33}, {18, 11}, {15, 11}, {64, 33}, {160, 99}, {4, 3}, {3, 2}, {2, 1},
}
