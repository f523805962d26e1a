package h265

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseParameterSetVectors(t *testing.T) {
	for _, v := range psVectors {
		t.Run(v.name, func(t *testing.T) {
			vps, err := ParseVPS(mustHex(t, v.vps))
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseSPS(mustHex(t, v.sps))
			if err != nil {
				t.Fatal(err)
			}
			if s.Width != v.width || s.Height != v.height {
				t.Errorf("size %dx%d, want %dx%d", s.Width, s.Height, v.width, v.height)
			}
			if s.PTL.ProfileIDC != v.profile || s.PTL.LevelIDC != v.level || vps.PTL != s.PTL {
				t.Errorf("PTL %+v (VPS %+v), want profile %d level %d", s.PTL, vps.PTL, v.profile, v.level)
			}
			if s.ChromaFormatIDC != v.chroma || s.BitDepthLuma != v.bitDepth || s.ScalingList != v.scalingList {
				t.Errorf("chroma %d depth %d scaling %v", s.ChromaFormatIDC, s.BitDepthLuma, s.ScalingList)
			}
			if math.Abs(s.FrameRate()-v.fps) > 1e-9 {
				t.Errorf("fps %v, want %v", s.FrameRate(), v.fps)
			}
			p, err := ParsePPS(mustHex(t, v.pps))
			if err != nil {
				t.Fatal(err)
			}
			if p.SPSID != s.ID {
				t.Errorf("PPS refers to SPS %d", p.SPSID)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	sps := mustHex(t, psVectors[0].sps)
	for n := 0; n < 20; n++ {
		if _, err := ParseSPS(sps[:n]); err == nil {
			t.Errorf("SPS truncated to %d accepted", n)
		}
	}
	if _, err := ParseSPS(mustHex(t, psVectors[0].vps)); !errors.Is(err, ErrNotSPS) {
		t.Errorf("VPS as SPS: %v", err)
	}
	if _, err := ParseVPS(mustHex(t, psVectors[0].vps)[:6]); err == nil {
		t.Error("truncated VPS accepted")
	}
}

func TestCodecString(t *testing.T) {
	s, _ := ParseSPS(mustHex(t, psVectors[1].sps))
	if got := s.PTL.Codec(); got != "hvc1.1.6.L120.90" {
		t.Errorf("codec %q", got)
	}
}

func TestDecoderConfigRoundTrip(t *testing.T) {
	for _, v := range psVectors {
		vps, sps, pps := mustHex(t, v.vps), mustHex(t, v.sps), mustHex(t, v.pps)
		c, err := NewDecoderConfig(vps, sps, pps)
		if err != nil {
			t.Fatal(err)
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
		gv, gs, gp := got.ParameterSets()
		if !bytes.Equal(gv, vps) || !bytes.Equal(gs, sps) || !bytes.Equal(gp, pps) {
			t.Errorf("%s: parameter sets differ", v.name)
		}
		for n := 0; n < len(b); n++ {
			if _, err := ParseDecoderConfig(b[:n]); err == nil {
				t.Errorf("%s: truncated to %d accepted", v.name, n)
			}
		}
	}
}
