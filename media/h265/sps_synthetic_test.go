package h265

import (
	"testing"

	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// TestParseSPSScalingListsAndPredictedRPS writes SPSs with the syntax x265
// does not emit (explicit scaling_list_data, short-term RPSs predicted from
// earlier ones, long-term pictures) and checks that the parser walks them:
// a wrong bit count anywhere would garble the VUI timing read after them.
func TestParseSPSScalingListsAndPredictedRPS(t *testing.T) {
	w := bits.NewWriter([]byte{byte(NALSPS) << 1, 1})
	w.U(4, 0)
	w.U(3, 0)
	w.Flag(true)
	writePTL(&w, ProfileTierLevel{ProfileIDC: 1, LevelIDC: 93})
	w.UE(0)    // sps id
	w.UE(1)    // 4:2:0
	w.UE(1280) // width
	w.UE(720)
	w.Flag(false)
	w.UE(0)
	w.UE(0)
	w.UE(4) // log2_max_poc_lsb 8
	w.Flag(true)
	w.UE(4)
	w.UE(2)
	w.UE(0)
	w.UE(0) // min cb 8
	w.UE(3) // ctb 64
	w.UE(0)
	w.UE(3)
	w.UE(1)
	w.UE(1)
	w.Flag(true) // scaling_list_enabled_flag
	w.Flag(true) // sps_scaling_list_data_present_flag
	for sizeID := 0; sizeID < 4; sizeID++ {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			explicit := (sizeID+m)%2 == 0
			w.Flag(explicit)
			if !explicit {
				w.UE(0)
				continue
			}
			n := min(64, 1<<uint(4+sizeID<<1))
			if sizeID > 1 {
				w.SE(3)
			}
			for i := 0; i < n; i++ {
				w.SE(int64(i%3) - 1)
			}
		}
	}
	w.Flag(false) // amp
	w.Flag(false) // sao
	w.Flag(true)  // pcm
	w.U(4, 7)
	w.U(4, 7)
	w.UE(0)
	w.UE(1)
	w.Flag(false)
	w.UE(3) // three short-term RPSs
	// RPS 0: negatives -1, -3 used; positive +2 unused.
	w.UE(2)
	w.UE(1)
	w.UE(0)
	w.Flag(true)
	w.UE(1)
	w.Flag(true)
	w.UE(1)
	w.Flag(false)
	// RPS 1: predicted from RPS 0 with deltaRps -1; entries -1,-3,+2 and
	// the reference itself. Keep -1→-2, drop -3→-4, keep +2→+1, keep -1.
	w.Flag(true)  // inter_ref_pic_set_prediction_flag
	w.Flag(true)  // delta_rps_sign (negative)
	w.UE(0)       // abs_delta_rps_minus1: deltaRps -1
	w.Flag(true)  // j0 (-1) used
	w.Flag(false) // j1 (-3) not used
	w.Flag(false) //   use_delta_flag 0
	w.Flag(false) // j2 (+2) not used
	w.Flag(true)  //   use_delta_flag 1
	w.Flag(true)  // j3 (the reference picture, dPoc -1) used
	// RPS 2: predicted from RPS 1 (which has 3 pictures: -1, -2, +1) with
	// deltaRps +1: four flags.
	w.Flag(true)
	w.Flag(false)
	w.UE(0)
	for j := 0; j < 4; j++ {
		w.Flag(true)
	}
	w.Flag(true) // long_term_ref_pics_present_flag
	w.UE(2)
	w.U(8, 17)
	w.Flag(true)
	w.U(8, 33)
	w.Flag(false)
	w.Flag(true)  // temporal mvp
	w.Flag(false) // strong intra
	w.Flag(true)  // vui
	w.U(8, 0)
	w.Flag(true)
	w.U(32, 1001)
	w.U(32, 60000)
	w.Flag(false)
	w.Flag(false)
	w.Flag(false)
	w.Flag(false)
	w.TrailingBits()
	nalu := h264.AppendEscaped(nil, w.Bytes())
	s, err := ParseSPS(nalu)
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 1280 || s.Height != 720 || !s.ScalingList || !s.PCM || s.NumShortTermRPS != 3 || !s.LongTermRefs || !s.TemporalMVP {
		t.Fatalf("parsed %+v", s)
	}
	if s.NumUnitsInTick != 1001 || s.TimeScale != 60000 {
		t.Fatalf("VUI timing %d/%d: the bits before it were miscounted", s.TimeScale, s.NumUnitsInTick)
	}
}

// TestPredictedRPSDerivation checks 7.4.8 on the sets of the test above.
func TestPredictedRPSDerivation(t *testing.T) {
	w := bits.NewWriter(nil)
	w.UE(2)
	w.UE(1)
	w.UE(0)
	w.Flag(true)
	w.UE(1)
	w.Flag(true)
	w.UE(1)
	w.Flag(false)
	w.Flag(true)
	w.Flag(true)
	w.UE(0)
	w.Flag(true)
	w.Flag(false)
	w.Flag(false)
	w.Flag(false)
	w.Flag(true)
	w.Flag(true)
	w.TrailingBits()
	r := bits.NewReader(w.Bytes())
	var sets [2]rps
	if err := parseRPS(&r, sets[:0], &sets[0]); err != nil {
		t.Fatal(err)
	}
	if err := parseRPS(&r, sets[:1], &sets[1]); err != nil {
		t.Fatal(err)
	}
	got := sets[1].deltaPOC[:sets[1].num()]
	want := []int32{-1, -2, 1} // negatives nearest first, then positives
	if sets[1].numNeg != 2 || len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("RPS 1 = %v (%d negative), want %v", got, sets[1].numNeg, want)
	}
}
