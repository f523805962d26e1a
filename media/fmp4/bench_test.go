package fmp4

import (
	"io"
	"testing"
	"time"
)

// BenchmarkMuxSlice muxes one 10 s slice (init + 5 fragments) of the
// 512 kbit/s 15 fps GOP 30 + 16 kHz AAC profile into a reused buffer.
func BenchmarkMuxSlice(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			video, audio := split(c.profile.Frames())
			vc, err := VideoConfigFor(&video[0], time.Second/15)
			if err != nil {
				b.Fatal(err)
			}
			m, err := NewMuxer(Config{Video: vc, AAC: aac16k})
			if err != nil {
				b.Fatal(err)
			}
			buf, err := m.AppendSlice(nil, video, audio)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = m.AppendSlice(buf[:0], video, audio)
			}
		})
	}
}

// BenchmarkVerifySlice parses and verifies one such slice.
func BenchmarkVerifySlice(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			slice := muxAll(b, true, c.profile.Frames())
			v := NewVerifier(Limits{})
			b.SetBytes(int64(len(slice)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(slice); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSliceSize computes the exact fMP4 size of one 10 s slice
// without writing its samples (what the camera needs at the cut).
func BenchmarkSliceSize(b *testing.B) {
	c := sliceCases[0]
	video, audio := split(c.profile.Frames())
	vc, err := VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMuxer(Config{Video: vc, AAC: aac16k})
	if err != nil {
		b.Fatal(err)
	}
	vp, ap := ptrs(video), ptrs(audio)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.SliceSize(vp, ap); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSliceReader streams one 10 s slice muxed on demand into a
// reused 32 KiB buffer, for comparison with BenchmarkMuxSlice.
func BenchmarkSliceReader(b *testing.B) {
	c := sliceCases[0]
	video, audio := split(c.profile.Frames())
	vc, err := VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMuxer(Config{Video: vc, AAC: aac16k})
	if err != nil {
		b.Fatal(err)
	}
	s, err := m.Cut(ptrs(video), ptrs(audio))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 32<<10)
	b.SetBytes(s.Size())
	b.ReportAllocs()
	for b.Loop() {
		r := s.NewReader()
		for {
			if _, err := r.Read(buf); err == io.EOF {
				break
			}
		}
	}
}
