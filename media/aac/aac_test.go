package aac

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fleetsim/fleetsim/sim/units"
)

func TestParseADTSVectors(t *testing.T) {
	for _, v := range adtsVectors {
		h, err := ParseADTS(v.header)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if h != v.want {
			t.Errorf("%s: got %+v\nwant %+v", v.name, h, v.want)
		}
		if h.HeaderLen() != len(v.header) {
			t.Errorf("%s: header length %d", v.name, h.HeaderLen())
		}
		if !v.build {
			continue
		}
		b, err := AppendADTS(nil, h.Object, h.RateIndex, h.Channels, h.FrameLength-7)
		if err != nil || !bytes.Equal(b, v.header) {
			t.Errorf("%s: AppendADTS = % x, %v", v.name, b, err)
		}
	}
}

func TestSplitADTS(t *testing.T) {
	cfg := Config{Object: ObjectAACLC, SampleRate: 16000, Channels: 1, FrameLength: 1024}
	var stream []byte
	var payloads [][]byte
	for i := 0; i < 3; i++ {
		p, err := SilentFrame(1, 10+i*40)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
		if stream, err = AppendADTSFrame(stream, cfg, p); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; len(stream) > 0; i++ {
		h, p, rest, err := SplitADTS(stream)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, payloads[i]) || h.Config() != cfg {
			t.Fatalf("frame %d: %+v", i, h)
		}
		stream = rest
	}
}

func TestADTSErrors(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		err  error
	}{
		{"short", []byte{0xFF, 0xF1, 0x60}, nil},
		{"no sync", []byte{0xFE, 0xF1, 0x60, 0x40, 0x28, 0x7F, 0xFC}, ErrSync},
		{"layer 1", []byte{0xFF, 0xF3, 0x60, 0x40, 0x28, 0x7F, 0xFC}, nil},
		{"reserved rate", []byte{0xFF, 0xF1, 0x74, 0x40, 0x28, 0x7F, 0xFC}, nil},
		{"length under header", []byte{0xFF, 0xF1, 0x60, 0x40, 0x00, 0x7F, 0xFC}, nil},
	}
	for _, c := range cases {
		_, err := ParseADTS(c.b)
		if err == nil || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: err %v", c.name, err)
		}
	}
	if _, _, _, err := SplitADTS(adtsVectors[0].header); err == nil {
		t.Error("SplitADTS accepted a frame longer than the data")
	}
	if _, err := AppendADTS(nil, ObjectSBR, 3, 2, 10); err == nil {
		t.Error("SBR object in ADTS accepted")
	}
}

func TestConfigVectors(t *testing.T) {
	for _, v := range ascVectors {
		c, err := ParseConfig(v.asc)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if c != v.want {
			t.Errorf("%s: got %+v want %+v", v.name, c, v.want)
		}
		if !v.build {
			continue
		}
		b, err := AppendConfig(nil, v.want)
		if err != nil || !bytes.Equal(b, v.asc) {
			t.Errorf("%s: AppendConfig = % x, %v; want % x", v.name, b, err, v.asc)
		}
	}
	for _, bad := range [][]byte{nil, {0x12}, {0x10, 0x00}, {0x17, 0x80, 0x00, 0x00, 0x08}, {0x12, 0x00}} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("ParseConfig(% x) accepted", bad)
		}
	}
}

func TestSilentFrameSizes(t *testing.T) {
	for _, ch := range []int{1, 2} {
		for size := MinSilentFrameSize(ch); size < 1200; size++ {
			f, err := SilentFrame(ch, size)
			if err != nil {
				t.Fatalf("%d ch, %d bytes: %v", ch, size, err)
			}
			if len(f) != size {
				t.Fatalf("%d ch: got %d bytes, want %d", ch, len(f), size)
			}
		}
		if _, err := SilentFrame(ch, MinSilentFrameSize(ch)-1); err == nil {
			t.Errorf("%d ch: frame under the minimum accepted", ch)
		}
	}
	if MinSilentFrameSize(1) != 4 || MinSilentFrameSize(2) != 7 {
		t.Errorf("minimum sizes %d %d", MinSilentFrameSize(1), MinSilentFrameSize(2))
	}
}

func TestFrameSize(t *testing.T) {
	cases := []struct {
		rate units.Bitrate
		sr   int
		want int
	}{
		{32000, 16000, 256},
		{128000, 48000, 341},
		{64000, 44100, 186},
		{0, 16000, 0},
	}
	for _, c := range cases {
		if got := FrameSize(c.rate, c.sr); got != c.want {
			t.Errorf("FrameSize(%d, %d) = %d, want %d", c.rate, c.sr, got, c.want)
		}
	}
}
