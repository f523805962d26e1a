package h264

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func seedNALUs(f *testing.F) [][]byte {
	var out [][]byte
	for _, v := range spsVectors {
		sps, _ := hex.DecodeString(v.sps)
		pps, _ := hex.DecodeString(v.pps)
		out = append(out, sps, pps)
	}
	return out
}

// FuzzSplitAnnexB splits arbitrary bytes as an Annex-B stream, parses every
// SPS/PPS found and checks that re-framing gives the same NAL units.
func FuzzSplitAnnexB(f *testing.F) {
	nalus := seedNALUs(f)
	f.Add(AppendAnnexB(nil, nalus...))
	for i := 0; i+1 < len(nalus); i += 2 {
		f.Add(AppendAnnexB(nil, nalus[i], nalus[i+1]))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := SplitAnnexB(nil, b)
		if err != nil {
			return
		}
		for _, u := range got {
			if len(u) == 0 {
				t.Fatal("empty NAL unit returned")
			}
			switch Type(u) {
			case NALSPS:
				if s, err := ParseSPS(u); err == nil && (s.Width <= 0 || s.Height <= 0) {
					t.Fatalf("SPS accepted with size %dx%d", s.Width, s.Height)
				}
			case NALPPS:
				ParsePPS(u)
			}
		}
		avcc, err := AppendAVCC(nil, 4, got...)
		if err != nil {
			t.Fatal(err)
		}
		back, err := SplitAVCC(nil, avcc, 4)
		if err != nil || len(back) != len(got) {
			t.Fatalf("AVCC round trip: %v", err)
		}
		for i := range back {
			if !bytes.Equal(back[i], got[i]) {
				t.Fatal("AVCC round trip changed a NAL unit")
			}
		}
	})
}

// FuzzParseSPS parses arbitrary bytes as an SPS NAL unit.
func FuzzParseSPS(f *testing.F) {
	for _, u := range seedNALUs(f) {
		if Type(u) == NALSPS {
			f.Add(u)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSPS(b)
		if err == nil && (s.Width <= 0 || s.Height <= 0 || s.Width > 16*maxMbsDim || s.Height > 32*maxMbsDim) {
			t.Fatalf("accepted size %dx%d", s.Width, s.Height)
		}
		s2, err2 := ParseSPS(AppendEscaped(nil, AppendUnescaped(nil, b)))
		if (err == nil) != (err2 == nil) || (err == nil && (s.Width != s2.Width || s.Height != s2.Height)) {
			// Re-escaping can only differ when b held unescaped start-code
			// emulations, which the reader sees as data either way.
			if !NeedsEscape(AppendUnescaped(nil, b)) {
				t.Fatalf("escape round trip changed the parse: %v / %v", err, err2)
			}
		}
	})
}

// FuzzDecoderConfig parses arbitrary bytes as an AVCDecoderConfigurationRecord
// and checks that an accepted record re-encodes to something that parses
// the same.
func FuzzDecoderConfig(f *testing.F) {
	for _, v := range spsVectors {
		sps, _ := hex.DecodeString(v.sps)
		pps, _ := hex.DecodeString(v.pps)
		c, err := NewDecoderConfig(sps, pps)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := c.Append(nil)
		f.Add(b)
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
		if err != nil {
			t.Fatal(err)
		}
		if len(c2.SPS) != len(c.SPS) || len(c2.PPS) != len(c.PPS) || c2.LengthSize != c.LengthSize {
			t.Fatal("re-encode changed the record")
		}
	})
}
