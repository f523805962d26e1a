package h264

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecoderConfigRoundTrip(t *testing.T) {
	for _, v := range spsVectors {
		sps, pps := mustHex(t, v.sps), mustHex(t, v.pps)
		c, err := NewDecoderConfig(sps, pps)
		if err != nil {
			t.Fatal(err)
		}
		if c.Profile != v.profile || c.Level != v.level {
			t.Errorf("%s: profile/level %d/%d", v.name, c.Profile, c.Level)
		}
		b, err := c.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseDecoderConfig(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("%s: round trip differs:\n%s", v.name, d)
		}
		for n := 0; n < len(b); n++ {
			if _, err := ParseDecoderConfig(b[:n]); err == nil && n < 6+2+len(sps)+1 {
				t.Errorf("%s: truncated to %d accepted", v.name, n)
			}
		}
	}
}

// TestDecoderConfigFFmpegVector parses an avcC written by ffmpeg (FLV
// sequence header body of a 640x360 baseline stream).
func TestDecoderConfigFFmpegVector(t *testing.T) {
	sps := mustHex(t, spsVectors[0].sps)
	pps := mustHex(t, spsVectors[0].pps)
	rec := []byte{1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, byte(len(sps))}
	rec = append(rec, sps...)
	rec = append(rec, 1, 0, byte(len(pps)))
	rec = append(rec, pps...)
	c, err := ParseDecoderConfig(rec)
	if err != nil {
		t.Fatal(err)
	}
	if c.LengthSize != 4 || len(c.SPS) != 1 || !bytes.Equal(c.SPS[0], sps) || !bytes.Equal(c.PPS[0], pps) {
		t.Fatalf("got %+v", c)
	}
	out, _ := c.Append(nil)
	if !bytes.Equal(out, rec) {
		t.Fatalf("re-encoded % x\nwant         % x", out, rec)
	}
}
