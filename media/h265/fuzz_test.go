package h265

import (
	"encoding/hex"
	"testing"

	"github.com/fleetsim/fleetsim/media/h264"
)

func seedAnnexB() [][]byte {
	var out [][]byte
	for _, v := range psVectors {
		a, _ := hex.DecodeString(v.vps)
		b, _ := hex.DecodeString(v.sps)
		c, _ := hex.DecodeString(v.pps)
		out = append(out, h264.AppendAnnexB(nil, a, b, c))
	}
	return out
}

// FuzzParameterSets splits arbitrary bytes as an Annex-B stream and parses
// every VPS/SPS/PPS in it.
func FuzzParameterSets(f *testing.F) {
	for _, s := range seedAnnexB() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus, err := h264.SplitAnnexB(nil, b)
		if err != nil {
			return
		}
		for _, u := range nalus {
			switch Type(u) {
			case NALVPS:
				ParseVPS(u)
			case NALSPS:
				s, err := ParseSPS(u)
				if err == nil && (s.Width <= 0 || s.Height <= 0 || s.Width > maxPicDim || s.Height > maxPicDim) {
					t.Fatalf("accepted size %dx%d", s.Width, s.Height)
				}
			case NALPPS:
				ParsePPS(u)
			}
		}
	})
}

// FuzzDecoderConfig parses arbitrary bytes as an HEVCDecoderConfigurationRecord.
func FuzzDecoderConfig(f *testing.F) {
	for _, v := range psVectors {
		a, _ := hex.DecodeString(v.vps)
		b, _ := hex.DecodeString(v.sps)
		c, _ := hex.DecodeString(v.pps)
		rec, err := NewDecoderConfig(a, b, c)
		if err != nil {
			f.Fatal(err)
		}
		out, _ := rec.Append(nil)
		f.Add(out)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseDecoderConfig(b)
		if err != nil {
			return
		}
		out, err := c.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseDecoderConfig(out)
		if err != nil || len(c2.Arrays) != len(c.Arrays) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
