package h264

import (
	"encoding/hex"
	"testing"
)

// BenchmarkAppendAccessUnit assembles one 512 kbps / 15 fps P frame
// (3282 bytes) from the shared NAL units, reusing the caller's list.
func BenchmarkAppendAccessUnit(b *testing.B) {
	s, err := NewSynth(SynthConfig{Width: 640, Height: 360, FPS: 15})
	if err != nil {
		b.Fatal(err)
	}
	nalus := make([][]byte, 0, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		nalus, _ = s.AppendAccessUnit(nalus[:0], Picture{Index: 1 + i%29}, 3282, nil)
	}
}

func BenchmarkAppendAnnexB(b *testing.B) {
	s, _ := NewSynth(SynthConfig{Width: 640, Height: 360, FPS: 15})
	nalus, _ := s.AppendAccessUnit(nil, Picture{}, 32820, nil)
	buf := make([]byte, 0, AnnexBSize(nalus))
	b.SetBytes(int64(AnnexBSize(nalus)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendAnnexB(buf[:0], nalus...)
	}
}

func BenchmarkSplitAnnexB(b *testing.B) {
	s, _ := NewSynth(SynthConfig{Width: 640, Height: 360, FPS: 15})
	nalus, _ := s.AppendAccessUnit(nil, Picture{}, 32820, nil)
	au := AppendAnnexB(nil, nalus...)
	dst := make([][]byte, 0, 32)
	b.SetBytes(int64(len(au)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst, _ = SplitAnnexB(dst[:0], au)
	}
}

func BenchmarkParseSPS(b *testing.B) {
	sps, _ := hex.DecodeString(spsVectors[2].sps)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseSPS(sps); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewSynth1080p(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewSynth(SynthConfig{Width: 1920, Height: 1080, FPS: 25}); err != nil {
			b.Fatal(err)
		}
	}
}
