package fmp4

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"pgregory.net/rapid"
)

// packedStreams stores video and audio interleaved at random in one
// av.Packed, as a recorder keeps a slice, and returns the two streams as
// Subsets of it.
func packedStreams(t *rapid.T, video, audio []av.Frame) (v, a av.Subset) {
	p := new(av.Packed)
	v.L, a.L = p, p
	for vi, ai := 0, 0; vi < len(video) || ai < len(audio); {
		if ai == len(audio) || (vi < len(video) && rapid.Bool().Draw(t, "video next")) {
			v.Index = append(v.Index, int32(p.Len()))
			p.Append(&video[vi])
			vi++
			continue
		}
		a.Index = append(a.Index, int32(p.Len()))
		p.Append(&audio[ai])
		ai++
	}
	return v, a
}

// TestCutPackedProperty: consecutive cuts of compactly kept frames (two
// Subsets of one av.Packed) read back exactly the bytes and sizes of cuts
// of the same frames by pointer, refuse the same frames and number the
// fragments alike.
func TestCutPackedProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, video, audio := randomSlice(t, rapid.Bool().Draw(t, "bad"))
		byPtr, err := NewMuxer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		packed, _ := NewMuxer(cfg)
		for rv, ra := video, audio; len(rv) > 0 || len(ra) > 0; {
			kv, ka := rapid.IntRange(0, len(rv)).Draw(t, "cut video"), rapid.IntRange(0, len(ra)).Draw(t, "cut audio")
			pv, pa := packedStreams(t, rv[:kv], ra[:ka])
			want, wantErr := byPtr.Cut(ptrs(rv[:kv]), ptrs(ra[:ka]))
			got, gotErr := packed.CutList(pv, pa)
			if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
				t.Fatalf("Cut error %v, CutList error %v", wantErr, gotErr)
			}
			rv, ra = rv[kv:], ra[ka:]
			if wantErr != nil {
				continue
			}
			a, b := readAll(t, got.Open()), readAll(t, want.Open())
			if !bytes.Equal(a, b) || got.Size() != want.Size() {
				t.Fatalf("CutList read %d bytes (Size %d), Cut %d (Size %d): differ", len(a), got.Size(), len(b), want.Size())
			}
		}
		a, _ := packed.AppendSlice(nil, video[:min(1, len(video))], nil)
		b, _ := byPtr.AppendSlice(nil, video[:min(1, len(video))], nil)
		if !bytes.Equal(a, b) {
			t.Fatal("fragment sequence after CutList differs from Cut's")
		}
	})
}

// BenchmarkSlicePacked cuts one 10 s slice and streams it into a reused
// 32 KiB buffer, from frame pointers and from Subsets of an av.Packed.
func BenchmarkSlicePacked(b *testing.B) {
	c := sliceCases[0]
	video, audio := split(c.profile.Frames())
	vc, err := VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		b.Fatal(err)
	}
	p := new(av.Packed)
	pv, pa := av.Subset{L: p}, av.Subset{L: p}
	for i := range video {
		pv.Index = append(pv.Index, int32(p.Len()))
		p.Append(&video[i])
		if i < len(audio) {
			pa.Index = append(pa.Index, int32(p.Len()))
			p.Append(&audio[i])
		}
	}
	for i := len(video); i < len(audio); i++ {
		pa.Index = append(pa.Index, int32(p.Len()))
		p.Append(&audio[i])
	}
	for _, l := range []struct {
		name string
		v, a av.List
	}{{"ptrs", av.Ptrs(ptrs(video)), av.Ptrs(ptrs(audio))}, {"packed", pv, pa}} {
		b.Run(l.name, func(b *testing.B) {
			m, err := NewMuxer(Config{Video: vc, AAC: aac16k})
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 32<<10)
			b.ReportAllocs()
			for b.Loop() {
				s, err := m.CutList(l.v, l.a)
				if err != nil {
					b.Fatal(err)
				}
				r := s.NewReader()
				for {
					if _, err := r.Read(buf); err == io.EOF {
						break
					}
				}
			}
		})
	}
}
