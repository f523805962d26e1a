package h265

import (
	"encoding/hex"
	"testing"
)

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

func BenchmarkParseSPS(b *testing.B) {
	sps, _ := hex.DecodeString(psVectors[1].sps)
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
