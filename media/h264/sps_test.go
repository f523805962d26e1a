package h264

import (
	"errors"
	"testing"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

func TestParseSPSVectors(t *testing.T) {
	for _, v := range spsVectors {
		t.Run(v.name, func(t *testing.T) {
			s, err := ParseSPS(mustHex(t, v.sps))
			if err != nil {
				t.Fatal(err)
			}
			if s.Width != v.width || s.Height != v.height {
				t.Errorf("size %dx%d, want %dx%d", s.Width, s.Height, v.width, v.height)
			}
			if s.ProfileIDC != v.profile || s.LevelIDC != v.level || s.ChromaFormatIDC != v.chroma {
				t.Errorf("profile %d level %d chroma %d, want %d %d %d", s.ProfileIDC, s.LevelIDC, s.ChromaFormatIDC, v.profile, v.level, v.chroma)
			}
			if s.FrameRate() != v.fps {
				t.Errorf("fps %v, want %v", s.FrameRate(), v.fps)
			}
			if s.FrameMbsOnly != v.frameMbsOnly || s.CropBottom != v.cropBottom {
				t.Errorf("frame_mbs_only %v crop_bottom %d, want %v %d", s.FrameMbsOnly, s.CropBottom, v.frameMbsOnly, v.cropBottom)
			}
			p, err := ParsePPS(mustHex(t, v.pps))
			if err != nil {
				t.Fatal(err)
			}
			if p.SPSID != s.ID {
				t.Errorf("PPS refers to SPS %d, SPS is %d", p.SPSID, s.ID)
			}
		})
	}
}

// TestParseSPSScalingLists writes a High-profile SPS with an explicit
// sequence scaling matrix (x264 only puts matrices in the PPS) and checks
// that the parser walks the lists to the fields after them.
func TestParseSPSScalingLists(t *testing.T) {
	w := bits.NewWriter([]byte{0x67})
	w.U(8, 100)
	w.U(8, 0)
	w.U(8, 40)
	w.UE(0) // sps id
	w.UE(1) // chroma 4:2:0
	w.UE(0)
	w.UE(0)
	w.Flag(false)
	w.Flag(true) // seq_scaling_matrix_present_flag
	for i := 0; i < 8; i++ {
		w.Flag(i%2 == 0)
		if i%2 == 0 {
			size := 16
			if i >= 6 {
				size = 64
			}
			for j := 0; j < size; j++ {
				w.SE(int64(j%5) - 2)
			}
		}
	}
	w.UE(0) // log2_max_frame_num_minus4
	w.UE(2) // poc type
	w.UE(1)
	w.Flag(false)
	w.UE(79) // 1280
	w.UE(44) // 720
	w.Flag(true)
	w.Flag(true)
	w.Flag(false)
	w.Flag(false)
	w.TrailingBits()
	nalu := AppendEscaped(nil, w.Bytes())
	s, err := ParseSPS(nalu)
	if err != nil {
		t.Fatal(err)
	}
	if !s.ScalingMatrix || s.Width != 1280 || s.Height != 720 || s.POCType != 2 {
		t.Fatalf("got %+v", s)
	}
}

func TestParseSPSErrors(t *testing.T) {
	good := mustHex(t, spsVectors[0].sps)
	for n := 0; n < len(good)-2; n++ {
		if _, err := ParseSPS(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := ParseSPS([]byte{0x68, 1, 2}); !errors.Is(err, ErrNotSPS) {
		t.Errorf("PPS given as SPS: %v", err)
	}
	// Cropping larger than the picture.
	w := bits.NewWriter([]byte{0x67})
	w.U(24, 0x42C01E)
	w.UE(0)
	w.UE(0)
	w.UE(2)
	w.UE(1)
	w.Flag(false)
	w.UE(0)
	w.UE(0)
	w.Flag(true)
	w.Flag(true)
	w.Flag(true)
	w.UE(0)
	w.UE(0)
	w.UE(0)
	w.UE(9)
	w.Flag(false)
	w.TrailingBits()
	if _, err := ParseSPS(w.Bytes()); err == nil {
		t.Error("over-cropped SPS accepted")
	}
}
