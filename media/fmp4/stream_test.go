package fmp4

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"pgregory.net/rapid"
)

// maxFrameBytes bounds the random frames of the property tests.
const maxFrameBytes = 300 << 10

// randomSlice draws a muxer configuration (H.264 or H.265 from the test
// profile's parameter sets, with or without audio) and video and audio
// frame lists: key and non-key frames of 0..300 KB in NAL units (some of
// them parameter sets or AUDs, which the samples drop), audio of 1..2 KB.
// With bad, frames AppendSlice refuses may be drawn too.
func randomSlice(t *rapid.T, bad bool) (Config, []av.Frame, []av.Frame) {
	codec := rapid.SampledFrom([]av.Codec{av.H264, av.H265}).Draw(t, "codec")
	key := subStream.With(codec, time.Second).Frames()[0]
	vc, err := VideoConfigFor(&key, time.Second/15)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Video: vc}
	if rapid.Bool().Draw(t, "audio") {
		cfg.AAC = aac16k
	}
	src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	types := []byte{0x09, 0x67, 0x68, 0x06, 0x65, 0x41} // H.264: AUD SPS PPS SEI IDR P
	if codec == av.H265 {
		types = []byte{0x46, 0x40, 0x42, 0x44, 0x4e, 0x26, 0x02} // AUD VPS SPS PPS SEI IDR TRAIL
	}
	var video, audio []av.Frame
	dts := time.Duration(rapid.Int64Range(0, int64(30*time.Hour)).Draw(t, "dts0"))
	for i := range rapid.IntRange(0, 12).Draw(t, "video") {
		f := av.Frame{Codec: codec, Seq: uint64(i), Key: i == 0 || rapid.IntRange(0, 3).Draw(t, "key") == 0}
		dts += time.Duration(rapid.IntRange(1, int(time.Second)).Draw(t, "step"))
		f.DTS, f.PTS = dts, dts
		if rapid.IntRange(0, 3).Draw(t, "cts") == 0 {
			f.PTS += time.Duration(rapid.IntRange(1, int(time.Second)).Draw(t, "ptsoff"))
		}
		size := rapid.IntRange(0, maxFrameBytes).Draw(t, "size")
		units := rapid.IntRange(1, 4).Draw(t, "units")
		for u := range units {
			k := size / units
			if u == units-1 {
				k = size - (units-1)*(size/units)
			}
			b := randomBytes(src, k)
			if k > 0 {
				b[0] = rapid.SampledFrom(types).Draw(t, "nal")
			}
			f.NALUs = append(f.NALUs, b)
		}
		if bad && rapid.IntRange(0, 9).Draw(t, "bad") == 0 {
			f.Codec = av.H264 + av.H265 - codec // the other codec
		}
		video = append(video, f)
	}
	if cfg.AAC != nil || bad {
		pts := time.Duration(rapid.Int64Range(0, int64(30*time.Hour)).Draw(t, "pts0"))
		for i := range rapid.IntRange(0, 12).Draw(t, "audio frames") {
			pts += 64 * time.Millisecond
			f := av.Frame{Codec: av.AAC, Seq: uint64(i), PTS: pts, DTS: pts,
				Payload: randomBytes(src, rapid.IntRange(1, 2048).Draw(t, "aac"))}
			if bad && rapid.IntRange(0, 9).Draw(t, "bad audio") == 0 {
				f.Payload = nil
			}
			audio = append(audio, f)
		}
	}
	return cfg, video, audio
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

func ptrs(frames []av.Frame) []*av.Frame { return framePtrs(nil, frames) }

// readAll reads r with reads of random sizes.
func readAll(t *rapid.T, r io.Reader) []byte {
	var out []byte
	buf := make([]byte, 3000)
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

// TestSliceSizeProperty: SliceSize is the length AppendSlice appends for
// the same frames, and fails where AppendSlice fails, with its error.
func TestSliceSizeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, video, audio := randomSlice(t, true)
		m, err := NewMuxer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		size, sizeErr := m.SliceSize(ptrs(video), ptrs(audio))
		out, appendErr := m.AppendSlice(nil, video, audio)
		if (sizeErr == nil) != (appendErr == nil) || (sizeErr != nil && sizeErr.Error() != appendErr.Error()) {
			t.Fatalf("SliceSize error %v, AppendSlice error %v", sizeErr, appendErr)
		}
		if sizeErr == nil && size != len(out) {
			t.Fatalf("SliceSize %d, AppendSlice appended %d", size, len(out))
		}
	})
}

// TestSliceReaderProperty: consecutive Cuts, read with random buffer sizes
// (in any order, twice), give exactly the bytes of consecutive AppendSlice
// calls, fragment sequence numbers included, and leave the Muxer where
// AppendSlice leaves it; a refused Cut leaves it where a refused
// AppendSlice does.
func TestSliceReaderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, video, audio := randomSlice(t, rapid.Bool().Draw(t, "bad"))
		cutter, err := NewMuxer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		appender, _ := NewMuxer(cfg)
		var slices []*Slice
		var want [][]byte
		for rv, ra := video, audio; len(rv) > 0 || len(ra) > 0; {
			kv, ka := rapid.IntRange(0, len(rv)).Draw(t, "cut video"), rapid.IntRange(0, len(ra)).Draw(t, "cut audio")
			s, cutErr := cutter.Cut(ptrs(rv[:kv]), ptrs(ra[:ka]))
			b, appendErr := appender.AppendSlice(nil, rv[:kv], ra[:ka])
			if (cutErr == nil) != (appendErr == nil) {
				t.Fatalf("Cut error %v, AppendSlice error %v", cutErr, appendErr)
			}
			if cutErr == nil {
				slices, want = append(slices, s), append(want, b)
			}
			rv, ra = rv[kv:], ra[ka:]
		}
		for _, i := range rand.New(rand.NewPCG(uint64(len(slices)), 2)).Perm(len(slices)) {
			for range 2 {
				if got := readAll(t, slices[i].Open()); !bytes.Equal(got, want[i]) || slices[i].Size() != int64(len(want[i])) {
					t.Fatalf("slice %d: read %d bytes (Size %d), AppendSlice %d: differ", i, len(got), slices[i].Size(), len(want[i]))
				}
			}
		}
		key := subStream.With(cfg.Video.Codec, time.Second).Frames()[:1]
		a, err1 := cutter.AppendSlice(nil, key, nil)
		b, err2 := appender.AppendSlice(nil, key, nil)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatal("the fragment sequence after Cuts differs from AppendSlice's")
		}
	})
}

// TestSliceReaderVerifies: the 10 s slices of the profile table, streamed,
// are AppendSlice's bytes and pass the Verifier.
func TestSliceReaderVerifies(t *testing.T) {
	v := NewVerifier(Limits{})
	for _, c := range sliceCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.profile.Frames()
			want := muxAll(t, c.withAudio, frames)
			video, audio := split(frames)
			vc, err := VideoConfigFor(&video[0], time.Second/15)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Video: vc}
			if c.withAudio {
				cfg.AAC = aac16k
			} else {
				audio = nil
			}
			m, err := NewMuxer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.Cut(ptrs(video), ptrs(audio))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(s.Open())
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes (%v), want %d identical", len(got), err, len(want))
			}
			if _, err := v.Verify(got); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSliceReaderChangedFrame: a frame changed after the Cut is an error
// of the reader, not a panic and not wrong bytes.
func TestSliceReaderChangedFrame(t *testing.T) {
	video, _ := split(subStream.With(av.H264, time.Second).Frames())
	vc, _ := VideoConfigFor(&video[0], time.Second/15)
	m, _ := NewMuxer(Config{Video: vc})
	s, err := m.Cut(ptrs(video), nil)
	if err != nil {
		t.Fatal(err)
	}
	video[3].Codec = av.H265
	if _, err := io.ReadAll(s.Open()); err == nil {
		t.Fatal("no error for a frame changed after the Cut")
	}
}
