package g711

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

// decodeVectors (code → linear) from the G.711 tables, shared by the decode
// test and the silence test.
var decodeVectors = []struct {
	law  Law
	code byte
	want int16
}{
	{ALaw, 0xD5, 8}, {ALaw, 0x55, -8}, {ALaw, 0xAA, 32256}, {ALaw, 0x2A, -32256},
	{MuLaw, 0xFF, 0}, {MuLaw, 0x7F, 0}, {MuLaw, 0x80, 32124}, {MuLaw, 0x00, -32124},
}

func TestDecodeVectors(t *testing.T) {
	for _, v := range decodeVectors {
		if got := Decode(v.law, v.code); got != v.want {
			t.Errorf("%v %02x = %d, want %d", v.law, v.code, got, v.want)
		}
	}
}

func TestSilentFrame(t *testing.T) {
	n := FrameSamples(20 * time.Millisecond)
	if n != 160 {
		t.Fatalf("20 ms = %d samples", n)
	}
	for _, l := range []Law{ALaw, MuLaw} {
		f, err := SilentFrame(l, n)
		if err != nil || len(f) != n {
			t.Fatal(err)
		}
		for _, c := range f {
			if d := Decode(l, c); d > 8 || d < -8 {
				t.Fatalf("%v silence decodes to %d", l, d)
			}
		}
	}
	if _, err := SilentFrame(ALaw, 0); err == nil {
		t.Error("empty frame accepted")
	}
}

// TestSilenceWithFFmpeg decodes silent frames with ffmpeg's pcm_alaw and
// pcm_mulaw decoders and checks the samples are (near) zero and agree with
// Decode.
func TestSilenceWithFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	dir := t.TempDir()
	for _, l := range []Law{ALaw, MuLaw} {
		f, _ := SilentFrame(l, 800)
		in := filepath.Join(dir, "in."+l.String())
		out := filepath.Join(dir, "out.raw")
		if err := os.WriteFile(in, f, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-f", l.String(), "-ar", "8000", "-ac", "1", "-i", in, "-f", "s16le", "-y", out)
		if err != nil {
			t.Fatalf("%v: %v\n%s", l, err, b)
		}
		pcm, err := os.ReadFile(out)
		if err != nil || len(pcm) != 2*len(f) {
			t.Fatalf("%v: %d PCM bytes, %v", l, len(pcm), err)
		}
		for i := 0; i < len(pcm); i += 2 {
			if s := int16(binary.LittleEndian.Uint16(pcm[i:])); s != Decode(l, f[i/2]) {
				t.Fatalf("%v: ffmpeg sample %d = %d, Decode says %d", l, i/2, s, Decode(l, f[i/2]))
			}
		}
	}
}
