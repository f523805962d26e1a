package h265

import "github.com/fleetsim/fleetsim/media/h264/bits"

// geometry is the coding-tree layout of a picture.
type geometry struct {
	picW, picH int // coded size (multiples of the minimum CB)
	ctbW, ctbH int // CTBs per row and column
	minW, minH int // minimum CBs per row and column
}

func newGeometry(w, h int) geometry {
	g := geometry{picW: (w + 7) &^ 7, picH: (h + 7) &^ 7}
	g.ctbW = (g.picW + 1<<log2Ctb - 1) >> log2Ctb
	g.ctbH = (g.picH + 1<<log2Ctb - 1) >> log2Ctb
	g.minW, g.minH = g.picW>>log2MinCb, g.picH>>log2MinCb
	return g
}

// Context initValues (Tables 9-11 to 9-22) for initType 0 (I) and 1 (P).
var (
	initSplitCU       = [2][3]uint8{{139, 141, 157}, {107, 139, 126}}
	initSkip          = [3]uint8{197, 185, 201} // initType 1
	initPartMode      = uint8(184)              // initType 0, bin 0
	initPrevIntraLuma = uint8(184)
	initChromaMode    = uint8(63)
	initCbfLuma       = [2]uint8{111, 141}
	initCbfChroma     = uint8(94) // ctxInc 0 (trafoDepth 0)
)

// sliceCoder writes one slice segment's data.
type sliceCoder struct {
	g        geometry
	intra    bool
	e        cabacEncoder
	depth    []uint8 // CtDepth per minimum CB
	split    [3]cabacCtx
	skip     [3]cabacCtx
	partMode cabacCtx
	prevLuma cabacCtx
	chroma   cabacCtx
	cbfLuma  cabacCtx // ctxInc 1
	cbfCbCr  cabacCtx
}

// buildSlice writes a whole-picture slice segment NAL unit: an IDR of intra
// DC coding units without residual, or a P picture of skipped coding units.
func buildSlice(g geometry, t NALType, poc int) []byte {
	intra := t.IsIRAP()
	w := bits.NewWriter(make([]byte, 0, 64+g.ctbW*g.ctbH/2))
	w.Flag(true) // first_slice_segment_in_pic_flag
	if intra {
		w.Flag(false) // no_output_of_prior_pics_flag
	}
	w.UE(0) // slice_pic_parameter_set_id
	if intra {
		w.UE(2) // slice_type I
	} else {
		w.UE(1) // slice_type P
		w.U(synthLog2MaxPOCLsb, uint64(poc)&(1<<synthLog2MaxPOCLsb-1))
		w.Flag(true)  // short_term_ref_pic_set_sps_flag (the only set: idx not coded)
		w.Flag(false) // num_ref_idx_active_override_flag
		w.UE(4)       // five_minus_max_num_merge_cand: one merge candidate, no merge_idx
	}
	w.SE(0)   // slice_qp_delta
	w.U(1, 1) // byte_alignment(): alignment_bit_equal_to_one
	w.AlignZero()
	c := sliceCoder{g: g, intra: intra, e: newCabacEncoder(&w), depth: make([]uint8, g.minW*g.minH)}
	it := 1
	if intra {
		it = 0
	}
	for i := range c.split {
		c.split[i] = initCtx(initSplitCU[it][i], sliceQP)
		c.skip[i] = initCtx(initSkip[i], sliceQP)
	}
	c.partMode = initCtx(initPartMode, sliceQP)
	c.prevLuma = initCtx(initPrevIntraLuma, sliceQP)
	c.chroma = initCtx(initChromaMode, sliceQP)
	c.cbfLuma = initCtx(initCbfLuma[1], sliceQP)
	c.cbfCbCr = initCtx(initCbfChroma, sliceQP)
	n := g.ctbW * g.ctbH
	for addr := 0; addr < n; addr++ {
		x0, y0 := addr%g.ctbW<<log2Ctb, addr/g.ctbW<<log2Ctb
		c.quadtree(x0, y0, log2Ctb, 0)
		if addr == n-1 {
			c.e.terminate(1) // end_of_slice_segment_flag; flush writes the stop bit
		} else {
			c.e.terminate(0)
		}
	}
	w.AlignZero()
	return nalu(t, w.Bytes())
}

func (c *sliceCoder) quadtree(x0, y0, log2Size, depth int) {
	size := 1 << log2Size
	var split bool
	if x0+size <= c.g.picW && y0+size <= c.g.picH && log2Size > log2MinCb {
		c.e.decision(&c.split[c.splitCtxInc(x0, y0, depth)], 0)
	} else {
		split = log2Size > log2MinCb
	}
	if split {
		half := size / 2
		for _, d := range [4][2]int{{0, 0}, {half, 0}, {0, half}, {half, half}} {
			if x0+d[0] < c.g.picW && y0+d[1] < c.g.picH {
				c.quadtree(x0+d[0], y0+d[1], log2Size-1, depth+1)
			}
		}
		return
	}
	c.codingUnit(x0, y0, log2Size)
	for y := y0 >> log2MinCb; y < min((y0+size)>>log2MinCb, c.g.minH); y++ {
		for x := x0 >> log2MinCb; x < min((x0+size)>>log2MinCb, c.g.minW); x++ {
			c.depth[y*c.g.minW+x] = uint8(depth)
		}
	}
}

// splitCtxInc is 9.3.4.2.2 for split_cu_flag: one for each available
// neighbour (left, above) coded deeper than cqtDepth.
func (c *sliceCoder) splitCtxInc(x0, y0, depth int) int {
	inc := 0
	if x0 > 0 && int(c.depth[(y0>>log2MinCb)*c.g.minW+(x0-1)>>log2MinCb]) > depth {
		inc++
	}
	if y0 > 0 && int(c.depth[((y0-1)>>log2MinCb)*c.g.minW+x0>>log2MinCb]) > depth {
		inc++
	}
	return inc
}

func (c *sliceCoder) codingUnit(x0, y0, log2Size int) {
	if !c.intra {
		// cu_skip_flag = 1; its ctxInc counts available skipped neighbours,
		// and every coding unit of the picture is skipped.
		inc := 0
		if x0 > 0 {
			inc++
		}
		if y0 > 0 {
			inc++
		}
		c.e.decision(&c.skip[inc], 1)
		return // MaxNumMergeCand 1: no merge_idx
	}
	if log2Size == log2MinCb {
		c.e.decision(&c.partMode, 1) // part_mode PART_2Nx2N
	}
	// Every neighbour is intra DC or unavailable (DC), so the MPM list is
	// {Planar, DC, Angular26} and DC is mpm_idx 1.
	c.e.decision(&c.prevLuma, 1) // prev_intra_luma_pred_flag
	c.e.bypass(1)                // mpm_idx = 1, truncated rice cMax 2: "10"
	c.e.bypass(0)
	c.e.decision(&c.chroma, 0)  // intra_chroma_pred_mode 4 (as luma)
	c.e.decision(&c.cbfCbCr, 0) // cbf_cb
	c.e.decision(&c.cbfCbCr, 0) // cbf_cr
	c.e.decision(&c.cbfLuma, 0) // cbf_luma (trafoDepth 0: ctxInc 1)
}
