package mpegts

import (
	"bytes"
	"io"
	"testing"

	"github.com/fleetsim/fleetsim/media/av"
	"pgregory.net/rapid"
)

// TestCutPackedProperty: consecutive cuts of frames kept compactly
// (av.Packed) give exactly the bytes and sizes of cuts of the same frames
// by pointer, refuse the same frames, and leave the Muxer's counters in
// the same place. Frames may repeat NAL units (interned once) and carry
// more NAL units than a reader's scratch holds.
func TestCutPackedProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, frames := randomSlice(t, rapid.Bool().Draw(t, "bad"))
		for i := range frames {
			f := &frames[i]
			if len(f.NALUs) > 0 && rapid.IntRange(0, 3).Draw(t, "repeat") == 0 {
				for range rapid.IntRange(1, 30).Draw(t, "repeats") {
					f.NALUs = append(f.NALUs, f.NALUs[len(f.NALUs)-1])
				}
			}
		}
		byPtr, _ := NewMuxer(cfg)
		packed, _ := NewMuxer(cfg)
		for rest := frames; len(rest) > 0; {
			k := rapid.IntRange(1, len(rest)).Draw(t, "cut")
			var p av.Packed
			for i := range rest[:k] {
				p.Append(&rest[i])
			}
			want, wantErr := byPtr.Cut(framePtrs(rest[:k]))
			got, gotErr := packed.CutList(&p)
			if (wantErr == nil) != (gotErr == nil) {
				t.Fatalf("Cut: %v, CutList: %v", wantErr, gotErr)
			}
			rest = rest[k:]
			if wantErr != nil {
				continue
			}
			if got.Size() != want.Size() || len(got.Frames()) != k {
				t.Fatalf("CutList: size %d, %d frames; Cut: size %d, %d frames", got.Size(), len(got.Frames()), want.Size(), k)
			}
			if a, b := readAll(t, got.Open()), readAll(t, want.Open()); !bytes.Equal(a, b) {
				t.Fatalf("CutList read %d bytes, Cut %d: they differ", len(a), len(b))
			}
			var buf bytes.Buffer
			if _, err := got.NewReader().WriteTo(&buf); err != nil || int64(buf.Len()) != want.Size() {
				t.Fatalf("CutList WriteTo: %d bytes, %v", buf.Len(), err)
			}
		}
		tail := []av.Frame{{Codec: cfg.Video, Key: true, NALUs: [][]byte{{0x65, 1, 2}}}}
		a, _ := appendAll(packed, nil, tail)
		b, _ := appendAll(byPtr, nil, tail)
		if !bytes.Equal(a, b) {
			t.Fatal("continuity counters after CutList differ from Cut's")
		}
	})
}

// TestSliceReaderPackedNoAllocs: reading a Slice of compact frames
// allocates nothing per frame (the reader's scratch holds the frame).
func TestSliceReaderPackedNoAllocs(t *testing.T) {
	c := sliceCases[0]
	frames := c.profile.Frames()
	var p av.Packed
	for i := range frames {
		p.Append(&frames[i])
	}
	m, err := NewMuxer(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.CutList(&p)
	if err != nil {
		t.Fatal(err)
	}
	r := s.NewReader()
	var buf [7 * PacketSize]byte
	if n := testing.AllocsPerRun(1, func() {
		for {
			if _, err := r.Read(buf[:]); err != nil {
				return
			}
		}
	}); n != 0 {
		t.Fatalf("reading %d frames: %v allocs", p.Len(), n)
	}
}

// BenchmarkSlicePacked cuts one 10 s slice and streams it into a reused
// 32 KiB buffer, from frame pointers and from an av.Packed.
func BenchmarkSlicePacked(b *testing.B) {
	c := sliceCases[0]
	frames := c.profile.Frames()
	var p av.Packed
	for i := range frames {
		p.Append(&frames[i])
	}
	for _, l := range []struct {
		name string
		list av.List
	}{{"ptrs", av.Ptrs(framePtrs(frames))}, {"packed", &p}} {
		b.Run(l.name, func(b *testing.B) {
			m, err := NewMuxer(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 32<<10)
			b.ReportAllocs()
			for b.Loop() {
				s, err := m.CutList(l.list)
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
