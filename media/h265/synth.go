package h265

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// SynthConfig asks for a synthesised H.265 stream.
type SynthConfig struct {
	Width, Height int // luma samples; even, 16…8192
	FPS           int // frames per second, written into the VPS and VUI timing
}

// Picture places an access unit in the stream (as for H.264).
type Picture = h264.Picture

// Synth makes H.265 access units that decode without an encoder: Main
// profile VPS/SPS/PPS for the requested size and rate, a flat grey IDR
// picture (IDR_N_LP; every coding unit intra DC with no residual) and P
// pictures (TRAIL_R) whose coding units are all skipped (a copy of the
// previous picture), both CABAC-coded by the small encoder in cabac.go;
// then FD_NUT filler NAL units up to the requested size.
//
// All NAL units are built once by NewSynth and shared; AppendAccessUnit
// only appends slices to the caller's list. The POC LSB is 4 bits, so the
// distinct pictures are one IDR and sixteen P pictures (one per
// slice_pic_order_cnt_lsb), each P picture referencing the one before
// (one short-term RPS in the SPS: delta POC −1).
type Synth struct {
	cfg           SynthConfig
	vps, sps, pps []byte
	idr           []byte
	p             [1 << synthLog2MaxPOCLsb][]byte
	filler        *h264.Filler
}

// Coding tree geometry: 32×32 CTBs, 8×8 minimum CBs, 4…32 transforms.
const (
	synthLog2MaxPOCLsb = 4
	log2Ctb            = 5
	log2MinCb          = 3
	sliceQP            = 26
)

// NewSynth builds the parameter sets and pictures for cfg.
func NewSynth(cfg SynthConfig) (*Synth, error) {
	if cfg.Width < 16 || cfg.Height < 16 || cfg.Width > 8192 || cfg.Height > 8192 || cfg.Width%2 != 0 || cfg.Height%2 != 0 {
		return nil, fmt.Errorf("h265: synth: size %dx%d must be even and within 16…8192", cfg.Width, cfg.Height)
	}
	if cfg.FPS < 1 || cfg.FPS > 240 {
		return nil, fmt.Errorf("h265: synth: frame rate %d outside 1…240", cfg.FPS)
	}
	level, err := pickLevel(cfg.Width, cfg.Height, cfg.FPS)
	if err != nil {
		return nil, err
	}
	s := &Synth{cfg: cfg, filler: h264.NewFiller([]byte{byte(NALFiller) << 1, 1})}
	ptl := ProfileTierLevel{
		ProfileIDC:      1,                     // Main
		CompatFlags:     1<<(31-1) | 1<<(31-2), // Main and Main 10 compatible
		ConstraintFlags: 1<<47 | 1<<44,         // progressive_source, frame_only_constraint
		LevelIDC:        uint8(level),
	}
	s.vps = buildVPS(ptl, cfg.FPS)
	s.sps = buildSPS(ptl, cfg)
	s.pps = buildPPS()
	g := newGeometry(cfg.Width, cfg.Height)
	s.idr = buildSlice(g, NALIDRNLP, 0)
	for poc := range s.p {
		s.p[poc] = buildSlice(g, NALTrailR, poc)
	}
	return s, nil
}

// VPS, SPS and PPS return the parameter set NAL units (shared: do not
// modify).
func (s *Synth) VPS() []byte { return s.vps }
func (s *Synth) SPS() []byte { return s.sps }
func (s *Synth) PPS() []byte { return s.pps }

// DecoderConfig returns the HEVCDecoderConfigurationRecord of the stream.
func (s *Synth) DecoderConfig() DecoderConfig {
	c, err := NewDecoderConfig(s.vps, s.sps, s.pps)
	if err != nil {
		panic("h265: synth built parameter sets it cannot parse: " + err.Error())
	}
	c.ConstantFrameRate = 1
	return c
}

// MinSize is the smallest access unit AppendAccessUnit makes for a key or
// non-key picture, with an extra NAL unit of extra bytes (the stamp).
func (s *Synth) MinSize(key bool, extra int) int {
	if key {
		return len(s.vps) + len(s.sps) + len(s.pps) + len(s.idr) + extra
	}
	return len(s.p[1]) + extra
}

// AppendAccessUnit appends the NAL units of one access unit to dst: for an
// IDR the VPS, SPS, PPS, sei (if not nil; a prefix SEI such as the stamp),
// the slice; for a P picture sei and the slice; then FD_NUT filler so that
// the NAL unit bytes (framing not counted) add up to size. It returns the
// list and that total, which is size exactly except: below MinSize it is
// MinSize, and a padding of one or two bytes becomes three.
func (s *Synth) AppendAccessUnit(dst [][]byte, pic Picture, size int, sei []byte) ([][]byte, int) {
	total := 0
	if pic.Index == 0 {
		dst = append(dst, s.vps, s.sps, s.pps)
		total += len(s.vps) + len(s.sps) + len(s.pps)
	}
	if sei != nil {
		dst = append(dst, sei)
		total += len(sei)
	}
	slice := s.idr
	if pic.Index != 0 {
		slice = s.p[pic.Index&(len(s.p)-1)]
	}
	dst = append(dst, slice)
	total += len(slice)
	dst, n := s.filler.Append(dst, size-total)
	return dst, total + n
}

// Level limits of Table A.8: general_level_idc, MaxLumaPs, MaxLumaSr.
var levelLimits = [...][3]int64{
	{30, 36864, 552960}, {60, 122880, 3686400}, {63, 245760, 7372800},
	{90, 552960, 16588800}, {93, 983040, 33177600}, {120, 2228224, 66846720},
	{123, 2228224, 133693440}, {150, 8912896, 267386880}, {153, 8912896, 534773760},
	{156, 8912896, 1069547520}, {180, 35651584, 1069547520}, {183, 35651584, 2139095040},
	{186, 35651584, 4278190080},
}

func pickLevel(w, h, fps int) (int, error) {
	ps := int64(w) * int64(h)
	for _, l := range levelLimits {
		maxDim := int64(1)
		for maxDim*maxDim <= 8*l[1] {
			maxDim++
		}
		if ps <= l[1] && ps*int64(fps) <= l[2] && int64(w) < maxDim && int64(h) < maxDim {
			return int(l[0]), nil
		}
	}
	return 0, fmt.Errorf("h265: synth: %dx%d at %d fps exceeds level 6.2", w, h, fps)
}

func nalu(t NALType, rbsp []byte) []byte {
	h := Header(t)
	out := make([]byte, 0, len(rbsp)+len(rbsp)/64+2)
	out = append(out, h[0], h[1])
	out = h264.AppendEscaped(out, rbsp)
	return out[:len(out):len(out)]
}

func buildVPS(ptl ProfileTierLevel, fps int) []byte {
	w := bits.NewWriter(nil)
	w.U(4, 0)    // vps_video_parameter_set_id
	w.Flag(true) // vps_base_layer_internal_flag
	w.Flag(true) // vps_base_layer_available_flag
	w.U(6, 0)    // vps_max_layers_minus1
	w.U(3, 0)    // vps_max_sub_layers_minus1
	w.Flag(true) // vps_temporal_id_nesting_flag
	w.U(16, 0xFFFF)
	writePTL(&w, ptl)
	w.Flag(true) // vps_sub_layer_ordering_info_present_flag
	w.UE(1)      // vps_max_dec_pic_buffering_minus1
	w.UE(0)      // vps_max_num_reorder_pics
	w.UE(0)      // vps_max_latency_increase_plus1
	w.U(6, 0)    // vps_max_layer_id
	w.UE(0)      // vps_num_layer_sets_minus1
	w.Flag(true) // vps_timing_info_present_flag
	w.U(32, 1)
	w.U(32, uint64(fps))
	w.Flag(false) // vps_poc_proportional_to_timing_flag
	w.UE(0)       // vps_num_hrd_parameters
	w.Flag(false) // vps_extension_flag
	w.TrailingBits()
	return nalu(NALVPS, w.Bytes())
}

func buildSPS(ptl ProfileTierLevel, cfg SynthConfig) []byte {
	picW := (cfg.Width + 7) &^ 7
	picH := (cfg.Height + 7) &^ 7
	w := bits.NewWriter(nil)
	w.U(4, 0)    // sps_video_parameter_set_id
	w.U(3, 0)    // sps_max_sub_layers_minus1
	w.Flag(true) // sps_temporal_id_nesting_flag
	writePTL(&w, ptl)
	w.UE(0) // sps_seq_parameter_set_id
	w.UE(1) // chroma_format_idc 4:2:0
	w.UE(uint64(picW))
	w.UE(uint64(picH))
	crop := picW != cfg.Width || picH != cfg.Height
	w.Flag(crop) // conformance_window_flag
	if crop {
		w.UE(0)
		w.UE(uint64(picW-cfg.Width) / 2)
		w.UE(0)
		w.UE(uint64(picH-cfg.Height) / 2)
	}
	w.UE(0)                      // bit_depth_luma_minus8
	w.UE(0)                      // bit_depth_chroma_minus8
	w.UE(synthLog2MaxPOCLsb - 4) // log2_max_pic_order_cnt_lsb_minus4
	w.Flag(true)                 // sps_sub_layer_ordering_info_present_flag
	w.UE(1)                      // sps_max_dec_pic_buffering_minus1
	w.UE(0)                      // sps_max_num_reorder_pics
	w.UE(0)                      // sps_max_latency_increase_plus1
	w.UE(log2MinCb - 3)          // log2_min_luma_coding_block_size_minus3
	w.UE(log2Ctb - log2MinCb)    // log2_diff_max_min_luma_coding_block_size
	w.UE(0)                      // log2_min_luma_transform_block_size_minus2
	w.UE(3)                      // log2_diff_max_min_luma_transform_block_size (4…32)
	w.UE(0)                      // max_transform_hierarchy_depth_inter
	w.UE(0)                      // max_transform_hierarchy_depth_intra
	w.Flag(false)                // scaling_list_enabled_flag
	w.Flag(false)                // amp_enabled_flag
	w.Flag(false)                // sample_adaptive_offset_enabled_flag
	w.Flag(false)                // pcm_enabled_flag
	w.UE(1)                      // num_short_term_ref_pic_sets
	w.UE(1)                      // st_ref_pic_set(0): num_negative_pics
	w.UE(0)                      // num_positive_pics
	w.UE(0)                      // delta_poc_s0_minus1
	w.Flag(true)                 // used_by_curr_pic_s0_flag
	w.Flag(false)                // long_term_ref_pics_present_flag
	w.Flag(false)                // sps_temporal_mvp_enabled_flag
	w.Flag(false)                // strong_intra_smoothing_enabled_flag
	w.Flag(true)                 // vui_parameters_present_flag
	w.U(8, 0)                    // aspect_ratio, overscan, video_signal_type, chroma_loc, neutral_chroma, field_seq, frame_field_info, default_display_window flags
	w.Flag(true)                 // vui_timing_info_present_flag
	w.U(32, 1)
	w.U(32, uint64(cfg.FPS))
	w.Flag(false) // vui_poc_proportional_to_timing_flag
	w.Flag(false) // vui_hrd_parameters_present_flag
	w.Flag(false) // bitstream_restriction_flag
	w.Flag(false) // sps_extension_present_flag
	w.TrailingBits()
	return nalu(NALSPS, w.Bytes())
}

func buildPPS() []byte {
	w := bits.NewWriter(nil)
	w.UE(0)       // pps_pic_parameter_set_id
	w.UE(0)       // pps_seq_parameter_set_id
	w.Flag(false) // dependent_slice_segments_enabled_flag
	w.Flag(false) // output_flag_present_flag
	w.U(3, 0)     // num_extra_slice_header_bits
	w.Flag(false) // sign_data_hiding_enabled_flag
	w.Flag(false) // cabac_init_present_flag
	w.UE(0)       // num_ref_idx_l0_default_active_minus1
	w.UE(0)       // num_ref_idx_l1_default_active_minus1
	w.SE(sliceQP - 26)
	w.Flag(false) // constrained_intra_pred_flag
	w.Flag(false) // transform_skip_enabled_flag
	w.Flag(false) // cu_qp_delta_enabled_flag
	w.SE(0)       // pps_cb_qp_offset
	w.SE(0)       // pps_cr_qp_offset
	w.Flag(false) // pps_slice_chroma_qp_offsets_present_flag
	w.Flag(false) // weighted_pred_flag
	w.Flag(false) // weighted_bipred_flag
	w.Flag(false) // transquant_bypass_enabled_flag
	w.Flag(false) // tiles_enabled_flag
	w.Flag(false) // entropy_coding_sync_enabled_flag
	w.Flag(false) // pps_loop_filter_across_slices_enabled_flag
	w.Flag(false) // deblocking_filter_control_present_flag
	w.Flag(false) // pps_scaling_list_data_present_flag
	w.Flag(false) // lists_modification_present_flag
	w.UE(0)       // log2_parallel_merge_level_minus2
	w.Flag(false) // slice_segment_header_extension_present_flag
	w.Flag(false) // pps_extension_present_flag
	w.TrailingBits()
	return nalu(NALPPS, w.Bytes())
}
