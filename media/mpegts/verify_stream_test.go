package mpegts

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/google/go-cmp/cmp"
)

// readers feed a slice to VerifyReader in different chunkings.
var readers = []struct {
	name string
	wrap func(b []byte) io.Reader
}{
	{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"one-byte", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"data-eof", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
}

// VerifyReader gives Verify's Info for good slices and its error class for
// broken ones, however the bytes arrive.
func TestVerifyReaderMatchesVerify(t *testing.T) {
	type vec struct {
		name string
		b    []byte
		lim  Limits
		want error
	}
	var vecs []vec
	for _, c := range sliceCases {
		vecs = append(vecs, vec{name: c.name, b: muxAll(t, c.cfg, c.profile.Frames())})
	}
	for _, c := range []av.Codec{av.H264, av.H265} {
		vecs = append(vecs, vec{name: "small-" + c.String(), b: smallSlice(t, c)})
	}
	for _, c := range malformedCases(t) {
		vecs = append(vecs, vec{name: c.name, b: c.b, lim: c.lim, want: c.want})
	}
	for _, v := range vecs {
		for _, r := range readers {
			t.Run(v.name+"/"+r.name, func(t *testing.T) {
				want, werr := NewVerifier(v.lim).Verify(v.b)
				got, gerr := NewVerifier(v.lim).VerifyReader(r.wrap(v.b))
				if v.want != nil {
					if !errors.Is(gerr, v.want) {
						t.Fatalf("err = %v, want %v", gerr, v.want)
					}
					return
				}
				if werr != nil || gerr != nil {
					t.Fatalf("Verify err %v, VerifyReader err %v", werr, gerr)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("Info differs (-Verify +VerifyReader):\n%s", d)
				}
			})
		}
	}
}

// A read error other than EOF is returned as it is.
func TestVerifyReaderReadError(t *testing.T) {
	good := smallSlice(t, av.H264)
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(good[:3*PacketSize+7]), iotest.ErrReader(boom))
	if _, err := NewVerifier(Limits{}).VerifyReader(r); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

// A warm Verifier reads a whole 10 s slice without allocating, and never
// holds more than its read buffer of it.
func TestVerifyReaderNoAllocs(t *testing.T) {
	slice := muxAll(t, sliceCases[0].cfg, sliceCases[0].profile.Frames())
	v := NewVerifier(Limits{})
	r := bytes.NewReader(slice)
	if _, err := v.VerifyReader(r); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(3, func() { r.Reset(slice); _, _ = v.VerifyReader(r) }); a != 0 {
		t.Fatalf("%v allocations per verified slice", a)
	}
	if cap(v.rbuf) != readPackets*PacketSize {
		t.Fatalf("read buffer grew to %d bytes", cap(v.rbuf))
	}
}

// FuzzVerifyReader: on any input VerifyReader agrees with Verify (both
// fail, or both succeed with the same Info), never panics and keeps its
// buffers bounded.
func FuzzVerifyReader(f *testing.F) {
	for _, c := range []av.Codec{av.H264, av.H265} {
		f.Add(smallSlice(f, c))
	}
	for _, c := range malformedCases(f) {
		f.Add(c.b)
	}
	lim := Limits{MaxSliceSize: 1 << 20, MaxPESSize: 64 << 10, MaxFrames: 100}
	v, s := NewVerifier(lim), NewVerifier(lim)
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := v.Verify(b)
		got, gerr := s.VerifyReader(iotest.HalfReader(bytes.NewReader(b)))
		if cap(s.video.au.sei) > 2*lim.MaxPESSize+PacketSize || cap(s.audio.b) > 2*lim.MaxPESSize+PacketSize || cap(s.rbuf) > readPackets*PacketSize {
			t.Fatalf("buffers grew to %d/%d/%d", cap(s.video.au.sei), cap(s.audio.b), cap(s.rbuf))
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Verify err %v, VerifyReader err %v", werr, gerr)
		}
		if werr == nil {
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("Info differs (-Verify +VerifyReader):\n%s", d)
			}
		}
	})
}

// A Verifier holds no access unit: after a slice of 200 KB key frames its
// buffers (read buffer, PES header, SEI NAL unit, audio PES) stay within
// the 32 KiB read buffer and 4 KiB, so a cloud verifying many uploads at
// once holds a few KB for each beyond the read buffer.
func TestVerifierHoldsNoAccessUnit(t *testing.T) {
	p := subStream.With(av.H264, 2*time.Second)
	p.ISize, p.GOP = 200<<10, 10
	slice := muxAll(t, Config{Video: av.H264, AAC: aac16k}, p.Frames())
	for _, r := range readers[:1] {
		v := NewVerifier(Limits{})
		info, err := v.VerifyReader(r.wrap(slice))
		if err != nil || info.KeyFrames != 3 {
			t.Fatalf("info %+v, err %v", info, err)
		}
		held := cap(v.rbuf) + len(v.video.hdr) + cap(v.video.au.sei) + cap(v.audio.b)
		if held > readPackets*PacketSize+4<<10 {
			t.Fatalf("the Verifier holds %d bytes after key frames of %d", held, p.ISize)
		}
	}
}
