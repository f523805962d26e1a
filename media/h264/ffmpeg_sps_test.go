package h264

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

// TestParseSPSFromFFmpeg encodes one frame with ffmpeg/libx264 at sizes
// that need cropping, profiles with and without chroma fields, and
// interlaced coding, and checks that ParseSPS and NewDecoderConfig agree
// with what was asked.
func TestParseSPSFromFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	cases := []struct {
		size, profile, pixFmt, params string
		w, h                          int
		profileIDC                    uint8
	}{
		{"854x480", "baseline", "yuv420p", "", 854, 480, 66},
		{"1366x768", "main", "yuv420p", "", 1366, 768, 77},
		{"1918x1078", "high", "yuv420p", "", 1918, 1078, 100},
		{"720x576", "high", "yuv420p", "interlaced=1", 720, 576, 100},
		{"400x302", "high422", "yuv422p", "", 400, 302, 122},
	}
	dir := t.TempDir()
	for _, c := range cases {
		out := filepath.Join(dir, "o.h264")
		args := []string{"-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=" + c.size + ":rate=25", "-frames:v", "1",
			"-pix_fmt", c.pixFmt, "-c:v", "libx264", "-profile:v", c.profile}
		if c.params != "" {
			args = append(args, "-x264-params", c.params)
		}
		if b, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", append(args, "-f", "h264", "-y", out)...); err != nil {
			t.Fatalf("%s: ffmpeg: %v\n%s", c.size, err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		nalus, err := SplitAnnexB(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		var sps, pps []byte
		for _, u := range nalus {
			switch Type(u) {
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
		if s.Width != c.w || s.Height != c.h || s.ProfileIDC != c.profileIDC || s.FrameRate() != 25 {
			t.Errorf("%s %s: parsed %dx%d profile %d at %v fps", c.size, c.profile, s.Width, s.Height, s.ProfileIDC, s.FrameRate())
		}
		if _, err := NewDecoderConfig(sps, pps); err != nil {
			t.Errorf("%s: %v", c.size, err)
		}
	}
}
