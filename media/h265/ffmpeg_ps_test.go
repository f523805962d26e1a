package h265

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/h264"
)

// TestParseFromFFmpeg encodes one frame with ffmpeg/libx265 at sizes that
// need a conformance window and in several profiles, and checks that the
// parsers and NewDecoderConfig agree with what was asked.
func TestParseFromFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	cases := []struct {
		size, pixFmt string
		w, h         int
		profile      uint8
		depth        uint32
	}{
		{"854x480", "yuv420p", 854, 480, 1, 8},
		{"1366x770", "yuv420p", 1366, 770, 1, 8},
		{"1918x1078", "yuv420p10le", 1918, 1078, 2, 10},
		{"402x226", "yuv444p", 402, 226, 4, 8},
	}
	dir := t.TempDir()
	for _, c := range cases {
		out := filepath.Join(dir, "o.hevc")
		if b, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi",
			"-i", "testsrc=size="+c.size+":rate=30", "-frames:v", "1", "-pix_fmt", c.pixFmt, "-c:v", "libx265",
			"-x265-params", "log-level=error", "-f", "hevc", "-y", out); err != nil {
			t.Fatalf("%s: ffmpeg: %v\n%s", c.size, err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		nalus, err := h264.SplitAnnexB(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		var vps, sps, pps []byte
		for _, u := range nalus {
			switch Type(u) {
			case NALVPS:
				vps = u
			case NALSPS:
				sps = u
			case NALPPS:
				pps = u
			}
		}
		s, err := ParseSPS(sps)
		if err != nil {
			t.Fatalf("%s: %v", c.size, err)
		}
		if s.Width != c.w || s.Height != c.h || s.PTL.ProfileIDC != c.profile || s.BitDepthLuma != c.depth || s.FrameRate() != 30 {
			t.Errorf("%s: parsed %dx%d profile %d depth %d at %v fps", c.size, s.Width, s.Height, s.PTL.ProfileIDC, s.BitDepthLuma, s.FrameRate())
		}
		if _, err := NewDecoderConfig(vps, sps, pps); err != nil {
			t.Errorf("%s: %v", c.size, err)
		}
	}
}
