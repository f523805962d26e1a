package mpegts

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"pgregory.net/rapid"
)

// maxFrameBytes bounds the random frames of the property tests (a large
// key frame of a high-bitrate camera).
const maxFrameBytes = 300 << 10

// randomSlice draws a muxer configuration and a frame list: H.264 or
// H.265, with or without audio, key and non-key frames of 0..300 KB split
// into NAL units (some of them AUDs already), audio frames of any valid
// size. With bad, a frame the Muxer refuses may be drawn too.
func randomSlice(t *rapid.T, bad bool) (Config, []av.Frame) {
	cfg := Config{Video: rapid.SampledFrom([]av.Codec{av.H264, av.H265}).Draw(t, "codec")}
	if rapid.Bool().Draw(t, "audio") {
		cfg.AAC = aac16k
	}
	src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	n := rapid.IntRange(0, 12).Draw(t, "frames")
	frames := make([]av.Frame, n)
	pts := time.Duration(rapid.Int64Range(0, int64(30*time.Hour)).Draw(t, "pts0"))
	for i := range frames {
		f := &frames[i]
		f.Seq = uint64(i)
		pts += time.Duration(rapid.IntRange(0, int(time.Second)).Draw(t, "step"))
		f.PTS, f.DTS = pts, pts
		if rapid.IntRange(0, 3).Draw(t, "reorder") == 0 {
			f.PTS += time.Duration(rapid.IntRange(1, int(time.Second)).Draw(t, "ptsoff"))
		}
		kind := rapid.IntRange(0, 9).Draw(t, "kind")
		switch {
		case bad && kind == 0: // one of the frames the Muxer refuses
			switch rapid.IntRange(0, 3).Draw(t, "bad") {
			case 0:
				f.Codec = av.H264
				if cfg.Video == av.H264 {
					f.Codec = av.H265
				}
				f.NALUs = [][]byte{{0x41}}
			case 1:
				f.Codec = cfg.Video
			case 2:
				f.Codec, f.Payload = av.AAC, nil
			case 3:
				f.Codec, f.Payload = av.AAC, make([]byte, maxADTSPayload+1)
			}
		case cfg.AAC != nil && kind <= 3:
			f.Codec = av.AAC
			f.Payload = randomBytes(src, rapid.IntRange(1, maxADTSPayload).Draw(t, "aac"))
		default:
			f.Codec, f.Key = cfg.Video, rapid.Bool().Draw(t, "key")
			size := rapid.IntRange(0, maxFrameBytes).Draw(t, "size")
			units := rapid.IntRange(1, 4).Draw(t, "units")
			for u := range units {
				k := size / units
				if u == units-1 {
					k = size - (units-1)*(size/units)
				}
				b := randomBytes(src, k)
				if k > 0 {
					// The first byte decides whether the Muxer sees an AUD.
					b[0] = rapid.SampledFrom([]byte{0x09, 0x46, 0x41, 0x65, 0x67, 0x06}).Draw(t, "nal")
				}
				f.NALUs = append(f.NALUs, b)
			}
		}
	}
	return cfg, frames
}

func randomBytes(src *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := src.Uint64()
		for j := i; j < min(i+8, n); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return b
}

func framePtrs(frames []av.Frame) []*av.Frame {
	ps := make([]*av.Frame, len(frames))
	for i := range frames {
		ps[i] = &frames[i]
	}
	return ps
}

// appendAll appends frames with AppendFrame until the first error.
func appendAll(m *Muxer, dst []byte, frames []av.Frame) ([]byte, error) {
	for i := range frames {
		var err error
		if dst, err = m.AppendFrame(dst, &frames[i]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// readAll reads r with reads of random sizes (1 byte up to several
// packets), as an HTTP client or a short network write would.
func readAll(t *rapid.T, r io.Reader) []byte {
	var out []byte
	buf := make([]byte, 4*PacketSize+7)
	for {
		k := rapid.IntRange(0, len(buf)).Draw(t, "read")
		n, err := r.Read(buf[:k])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if k > 0 && n == 0 {
			t.Fatalf("Read of %d bytes returned 0, nil", k)
		}
	}
}

// TestSliceSizeProperty: SliceSize is the length AppendFrame appends for
// the same frames, and fails on the same frame with the same error.
func TestSliceSizeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, frames := randomSlice(t, true)
		m, err := NewMuxer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Advance the counters first: they must not change the size.
		if _, err := appendAll(m, nil, frames[:rapid.IntRange(0, len(frames)).Draw(t, "warm")]); err != nil {
			m, _ = NewMuxer(cfg)
		}
		size, sizeErr := m.SliceSize(framePtrs(frames))
		out, appendErr := appendAll(m, nil, frames)
		if (sizeErr == nil) != (appendErr == nil) || (sizeErr != nil && sizeErr.Error() != appendErr.Error()) {
			t.Fatalf("SliceSize error %v, AppendFrame error %v", sizeErr, appendErr)
		}
		if size != len(out) {
			t.Fatalf("SliceSize %d, AppendFrame appended %d", size, len(out))
		}
	})
}

// TestSliceReaderProperty: consecutive Cuts read with random buffer sizes
// (and by WriteTo, and opened again as a retry does) give exactly the
// bytes consecutive AppendFrame calls give, continuity counters included,
// and leave the Muxer where AppendFrame leaves it.
func TestSliceReaderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, frames := randomSlice(t, false)
		cutter, err := NewMuxer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		appender, _ := NewMuxer(cfg)
		var slices []*Slice
		var want [][]byte
		for rest := frames; ; {
			k := rapid.IntRange(0, len(rest)).Draw(t, "cut")
			s, err := cutter.Cut(framePtrs(rest[:k]))
			if err != nil {
				t.Fatal(err)
			}
			b, err := appendAll(appender, nil, rest[:k])
			if err != nil {
				t.Fatal(err)
			}
			slices, want = append(slices, s), append(want, b)
			if rest = rest[k:]; len(rest) == 0 {
				break
			}
		}
		// Read the slices out of order, each twice: a reader depends on
		// its Slice only.
		for _, i := range rand.New(rand.NewPCG(uint64(len(slices)), 2)).Perm(len(slices)) {
			s := slices[i]
			if s.Size() != int64(len(want[i])) {
				t.Fatalf("slice %d: Size %d, want %d", i, s.Size(), len(want[i]))
			}
			if got := readAll(t, s.Open()); !bytes.Equal(got, want[i]) {
				t.Fatalf("slice %d: read %d bytes differ from AppendFrame's %d", i, len(got), len(want[i]))
			}
			var buf bytes.Buffer
			n, err := s.NewReader().WriteTo(&buf)
			if err != nil || n != int64(len(want[i])) || !bytes.Equal(buf.Bytes(), want[i]) {
				t.Fatalf("slice %d: WriteTo %d, %v", i, n, err)
			}
			// Read part, WriteTo the rest, then WriteTo at the end (as
			// net/http does after the Content-Length) gives nothing more.
			r := s.NewReader()
			head := make([]byte, rapid.IntRange(0, len(want[i])).Draw(t, "head"))
			if _, err := io.ReadFull(r, head); err != nil {
				t.Fatal(err)
			}
			buf.Reset()
			buf.Write(head)
			if _, err := r.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), want[i]) {
				t.Fatalf("slice %d: Read %d then WriteTo: %v, same bytes %v", i, len(head), err, bytes.Equal(buf.Bytes(), want[i]))
			}
			if n, err := r.WriteTo(&buf); n != 0 || err != nil {
				t.Fatalf("slice %d: WriteTo at the end: %d, %v", i, n, err)
			}
		}
		// The Muxer goes on where AppendFrame would.
		tail := []av.Frame{{Codec: cfg.Video, Key: true, NALUs: [][]byte{{0x65, 1, 2}}}}
		a, _ := appendAll(cutter, nil, tail)
		b, _ := appendAll(appender, nil, tail)
		if !bytes.Equal(a, b) {
			t.Fatal("continuity counters after Cut differ from AppendFrame's")
		}
	})
}

// TestCutError: Cut refuses what AppendFrame refuses, and the counters
// stand past the frames before the refused one, as AppendFrame leaves them.
func TestCutError(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, frames := randomSlice(t, true)
		cutter, _ := NewMuxer(cfg)
		appender, _ := NewMuxer(cfg)
		s, cutErr := cutter.Cut(framePtrs(frames))
		_, appendErr := appendAll(appender, nil, frames)
		if (cutErr == nil) != (appendErr == nil) || (cutErr != nil && cutErr.Error() != appendErr.Error()) {
			t.Fatalf("Cut error %v, AppendFrame error %v", cutErr, appendErr)
		}
		if cutErr != nil && s != nil {
			t.Fatal("Cut returned a Slice with its error")
		}
		tail := []av.Frame{{Codec: cfg.Video, Key: true, NALUs: [][]byte{{0x65}}}}
		a, _ := appendAll(cutter, nil, tail)
		b, _ := appendAll(appender, nil, tail)
		if !bytes.Equal(a, b) {
			t.Fatal("counters after a refused Cut differ from AppendFrame's")
		}
	})
}

// TestSliceReaderVerifies: the 10 s slices of the profile table, streamed
// by a SliceReader, are what AppendFrame writes and pass VerifyReader.
func TestSliceReaderVerifies(t *testing.T) {
	v := NewVerifier(Limits{})
	for _, c := range sliceCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.profile.Frames()
			m, err := NewMuxer(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.Cut(framePtrs(frames))
			if err != nil {
				t.Fatal(err)
			}
			want := muxAll(t, c.cfg, frames)
			got, err := io.ReadAll(s.Open())
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes (%v), want %d identical", len(got), err, len(want))
			}
			info, err := v.VerifyReader(s.Open())
			if err != nil {
				t.Fatal(err)
			}
			if info.Bytes != len(want) {
				t.Fatalf("verified %d bytes, want %d", info.Bytes, len(want))
			}
		})
	}
}

// TestSliceReaderChangedFrame: a frame changed after the Cut is an error
// of the reader, not a panic and not wrong bytes.
func TestSliceReaderChangedFrame(t *testing.T) {
	m, _ := NewMuxer(Config{Video: av.H264})
	frames := []av.Frame{{Codec: av.H264, Key: true, NALUs: [][]byte{{0x65, 1}}}, {Codec: av.H264, NALUs: [][]byte{{0x41, 1}}}}
	s, err := m.Cut(framePtrs(frames))
	if err != nil {
		t.Fatal(err)
	}
	frames[1].NALUs = nil
	if _, err := io.ReadAll(s.Open()); err == nil {
		t.Fatal("no error for a frame changed after the Cut")
	}
}

// At its end a SliceReader's WriteTo (net/http's look for bytes past the
// Content-Length) allocates nothing.
func TestSliceReaderWriteToAtEnd(t *testing.T) {
	c := sliceCases[0]
	m, err := NewMuxer(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Cut(framePtrs(c.profile.Frames()))
	if err != nil {
		t.Fatal(err)
	}
	r := s.NewReader()
	if n, err := r.WriteTo(io.Discard); n != s.Size() || err != nil {
		t.Fatalf("WriteTo: %d, %v; want %d", n, err, s.Size())
	}
	if a := testing.AllocsPerRun(10, func() { _, _ = r.WriteTo(io.Discard) }); a != 0 {
		t.Fatalf("%v allocations per WriteTo at the end", a)
	}
}
