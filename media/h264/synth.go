package h264

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// SynthConfig asks for a synthesised H.264 stream.
type SynthConfig struct {
	Width, Height int // luma samples; even, 16…8192
	FPS           int // frames per second, written into the VUI timing
}

// Synth makes H.264 access units that decode without an encoder: a
// Constrained Baseline SPS/PPS for the requested size and rate, a flat grey
// IDR picture coded in CAVLC (every macroblock I_16x16, DC prediction,
// coded_block_pattern 0: 8 bits each), P pictures that are one mb_skip_run
// (a copy of the previous picture), and filler-data NAL units that bring an
// access unit to the requested size.
//
// All NAL units are built once by NewSynth and shared; AppendAccessUnit
// only appends slice headers to the caller's list. frame_num counts modulo
// 16 from the IDR (pic_order_cnt_type 2, every picture a reference), so the
// distinct pictures are two IDRs (idr_pic_id 0 and 1, alternating so that
// back-to-back IDRs differ) and sixteen P pictures.
type Synth struct {
	cfg    SynthConfig
	sps    []byte
	pps    []byte
	idr    [2][]byte
	p      [1 << synthLog2MaxFrameNum][]byte
	filler *Filler
}

const synthLog2MaxFrameNum = 4

// NewSynth builds the parameter sets and pictures for cfg.
func NewSynth(cfg SynthConfig) (*Synth, error) {
	if cfg.Width < 16 || cfg.Height < 16 || cfg.Width > 8192 || cfg.Height > 8192 || cfg.Width%2 != 0 || cfg.Height%2 != 0 {
		return nil, fmt.Errorf("h264: synth: size %dx%d must be even and within 16…8192", cfg.Width, cfg.Height)
	}
	if cfg.FPS < 1 || cfg.FPS > 240 {
		return nil, fmt.Errorf("h264: synth: frame rate %d outside 1…240", cfg.FPS)
	}
	s := &Synth{cfg: cfg, filler: NewFiller([]byte{byte(NALFiller)})}
	mbW, mbH := (cfg.Width+15)/16, (cfg.Height+15)/16
	level, err := pickLevel(mbW, mbH, cfg.FPS)
	if err != nil {
		return nil, err
	}
	s.sps = s.buildSPS(mbW, mbH, level)
	s.pps = buildPPS()
	for id := range s.idr {
		s.idr[id] = buildIDR(mbW*mbH, id)
	}
	for fn := range s.p {
		s.p[fn] = buildP(mbW*mbH, fn)
	}
	return s, nil
}

// SPS returns the sequence parameter set NAL unit (shared: do not modify).
func (s *Synth) SPS() []byte { return s.sps }

// PPS returns the picture parameter set NAL unit (shared: do not modify).
func (s *Synth) PPS() []byte { return s.pps }

// DecoderConfig returns the AVCDecoderConfigurationRecord of the stream.
func (s *Synth) DecoderConfig() DecoderConfig {
	c, err := NewDecoderConfig(s.sps, s.pps)
	if err != nil {
		panic("h264: synth built an SPS/PPS it cannot parse: " + err.Error())
	}
	return c
}

// MinSize is the smallest access unit AppendAccessUnit makes for a key or
// non-key picture, with an extra NAL unit of extra bytes (the stamp).
func (s *Synth) MinSize(key bool, extra int) int {
	if key {
		return len(s.sps) + len(s.pps) + len(s.idr[0]) + extra
	}
	return len(s.p[0]) + extra
}

// Picture places an access unit in the stream.
type Picture struct {
	GOP   int64 // index of the group of pictures since the stream started
	Index int   // position in the GOP; 0 is the IDR
}

// AppendAccessUnit appends the NAL units of one access unit to dst: for an
// IDR the SPS, PPS, sei (if not nil), the slice; for a P picture sei and the
// slice; then filler NAL units so that the NAL unit bytes (framing not
// counted) add up to size. It returns the list and that total, which is
// size exactly except: below MinSize it is MinSize, and a padding of one
// byte becomes two. sei is inserted as given (a stamp); it must be an SEI
// NAL unit, since it goes before the slice.
func (s *Synth) AppendAccessUnit(dst [][]byte, pic Picture, size int, sei []byte) ([][]byte, int) {
	total := 0
	if pic.Index == 0 {
		dst = append(dst, s.sps, s.pps)
		total += len(s.sps) + len(s.pps)
	}
	if sei != nil {
		dst = append(dst, sei)
		total += len(sei)
	}
	var slice []byte
	if pic.Index == 0 {
		slice = s.idr[pic.GOP&1]
	} else {
		slice = s.p[pic.Index&(len(s.p)-1)]
	}
	dst = append(dst, slice)
	total += len(slice)
	dst, n := s.filler.Append(dst, size-total)
	return dst, total + n
}

// Level limits of Table A-1: level_idc, MaxMBPS, MaxFS.
var levelLimits = [...][3]int{
	{10, 1485, 99}, {11, 3000, 396}, {12, 6000, 396}, {13, 11880, 396},
	{20, 11880, 396}, {21, 19800, 792}, {22, 20250, 1620}, {30, 40500, 1620},
	{31, 108000, 3600}, {32, 216000, 5120}, {40, 245760, 8192}, {42, 522240, 8704},
	{50, 589824, 22080}, {51, 983040, 36864}, {52, 2073600, 36864},
	{60, 4177920, 139264}, {61, 8355840, 139264}, {62, 16711680, 139264},
}

func pickLevel(mbW, mbH, fps int) (int, error) {
	fs := mbW * mbH
	for _, l := range levelLimits {
		maxDim := 1
		for maxDim*maxDim <= 8*l[2] {
			maxDim++
		}
		if fs <= l[2] && fs*fps <= l[1] && mbW < maxDim && mbH < maxDim {
			return l[0], nil
		}
	}
	return 0, fmt.Errorf("h264: synth: %dx%d macroblocks at %d fps exceed level 6.2", mbW, mbH, fps)
}

func (s *Synth) buildSPS(mbW, mbH, level int) []byte {
	w := bits.NewWriter(nil)
	w.U(8, 66)   // profile_idc Baseline
	w.U(8, 0xC0) // constraint_set0_flag, constraint_set1_flag: Constrained Baseline
	w.U(8, uint64(level))
	w.UE(0)                        // seq_parameter_set_id
	w.UE(synthLog2MaxFrameNum - 4) // log2_max_frame_num_minus4
	w.UE(2)                        // pic_order_cnt_type
	w.UE(1)                        // max_num_ref_frames
	w.Flag(false)                  // gaps_in_frame_num_value_allowed_flag
	w.UE(uint64(mbW - 1))          // pic_width_in_mbs_minus1
	w.UE(uint64(mbH - 1))          // pic_height_in_map_units_minus1
	w.Flag(true)                   // frame_mbs_only_flag
	w.Flag(true)                   // direct_8x8_inference_flag
	cropR, cropB := (mbW*16-s.cfg.Width)/2, (mbH*16-s.cfg.Height)/2
	w.Flag(cropR > 0 || cropB > 0) // frame_cropping_flag
	if cropR > 0 || cropB > 0 {
		w.UE(0)
		w.UE(uint64(cropR))
		w.UE(0)
		w.UE(uint64(cropB))
	}
	w.Flag(true)  // vui_parameters_present_flag
	w.Flag(false) // aspect_ratio_info_present_flag
	w.Flag(false) // overscan_info_present_flag
	w.Flag(false) // video_signal_type_present_flag
	w.Flag(false) // chroma_loc_info_present_flag
	w.Flag(true)  // timing_info_present_flag
	w.U(32, 1)    // num_units_in_tick
	w.U(32, uint64(2*s.cfg.FPS))
	w.Flag(true)  // fixed_frame_rate_flag
	w.Flag(false) // nal_hrd_parameters_present_flag
	w.Flag(false) // vcl_hrd_parameters_present_flag
	w.Flag(false) // pic_struct_present_flag
	w.Flag(true)  // bitstream_restriction_flag
	w.Flag(true)  // motion_vectors_over_pic_boundaries_flag
	w.UE(0)       // max_bytes_per_pic_denom
	w.UE(0)       // max_bits_per_mb_denom
	w.UE(15)      // log2_max_mv_length_horizontal
	w.UE(15)      // log2_max_mv_length_vertical
	w.UE(0)       // max_num_reorder_frames
	w.UE(1)       // max_dec_frame_buffering
	w.TrailingBits()
	return nalu(NALSPS, 3, w.Bytes())
}

func buildPPS() []byte {
	w := bits.NewWriter(nil)
	w.UE(0)       // pic_parameter_set_id
	w.UE(0)       // seq_parameter_set_id
	w.Flag(false) // entropy_coding_mode_flag: CAVLC
	w.Flag(false) // bottom_field_pic_order_in_frame_present_flag
	w.UE(0)       // num_slice_groups_minus1
	w.UE(0)       // num_ref_idx_l0_default_active_minus1
	w.UE(0)       // num_ref_idx_l1_default_active_minus1
	w.Flag(false) // weighted_pred_flag
	w.U(2, 0)     // weighted_bipred_idc
	w.SE(0)       // pic_init_qp_minus26
	w.SE(0)       // pic_init_qs_minus26
	w.SE(0)       // chroma_qp_index_offset
	w.Flag(true)  // deblocking_filter_control_present_flag
	w.Flag(false) // constrained_intra_pred_flag
	w.Flag(false) // redundant_pic_cnt_present_flag
	w.TrailingBits()
	return nalu(NALPPS, 3, w.Bytes())
}

func buildIDR(mbs, idrPicID int) []byte {
	w := bits.NewWriter(make([]byte, 0, mbs+16))
	w.UE(0) // first_mb_in_slice
	w.UE(7) // slice_type I (all slices of the picture)
	w.UE(0) // pic_parameter_set_id
	w.U(synthLog2MaxFrameNum, 0)
	w.UE(uint64(idrPicID))
	w.Flag(false) // no_output_of_prior_pics_flag
	w.Flag(false) // long_term_reference_flag
	w.SE(0)       // slice_qp_delta
	w.UE(1)       // disable_deblocking_filter_idc
	for i := 0; i < mbs; i++ {
		// mb_type 3 = I_16x16_2_0_0 (DC prediction, no chroma or luma AC
		// coefficients): ue "00100"; intra_chroma_pred_mode DC: "1";
		// mb_qp_delta 0: "1"; Intra16x16DCLevel coeff_token with nC 0 and
		// no coefficients: "1".
		w.U(8, 0b00100_1_1_1)
	}
	w.TrailingBits()
	return nalu(NALIDR, 3, w.Bytes())
}

func buildP(mbs, frameNum int) []byte {
	w := bits.NewWriter(nil)
	w.UE(0) // first_mb_in_slice
	w.UE(5) // slice_type P (all slices of the picture)
	w.UE(0) // pic_parameter_set_id
	w.U(synthLog2MaxFrameNum, uint64(frameNum))
	w.Flag(false) // num_ref_idx_active_override_flag
	w.Flag(false) // ref_pic_list_modification_flag_l0
	w.Flag(false) // adaptive_ref_pic_marking_mode_flag
	w.SE(0)       // slice_qp_delta
	w.UE(1)       // disable_deblocking_filter_idc
	w.UE(uint64(mbs))
	w.TrailingBits()
	return nalu(NALSlice, 2, w.Bytes())
}

func nalu(t NALType, refIDC uint8, rbsp []byte) []byte {
	out := make([]byte, 0, len(rbsp)+len(rbsp)/64+1)
	out = append(out, refIDC<<5|byte(t))
	out = AppendEscaped(out, rbsp)
	return out[:len(out):len(out)]
}
