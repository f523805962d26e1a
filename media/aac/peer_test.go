package aac

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/sim/units"
)

// TestSilentADTSDecodesWithFFmpeg writes ADTS streams of synthesised silent
// frames at the profile bit rates and checks that ffmpeg decodes them with
// no message and ffprobe counts every frame.
func TestSilentADTSDecodesWithFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	cases := []struct {
		rate     units.Bitrate
		sr, ch   int
		frames   int
		wantSize int
	}{
		{32 * units.Kbps, 16000, 1, 50, 256},
		{128 * units.Kbps, 48000, 2, 40, 341},
		{8 * units.Kbps, 8000, 1, 20, 128},
	}
	dir := t.TempDir()
	for _, c := range cases {
		size := FrameSize(c.rate, c.sr)
		if size != c.wantSize {
			t.Fatalf("FrameSize = %d, want %d", size, c.wantSize)
		}
		frame, err := SilentFrame(c.ch, size)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Object: ObjectAACLC, SampleRate: c.sr, Channels: c.ch, FrameLength: SamplesPerFrame}
		var stream []byte
		for i := 0; i < c.frames; i++ {
			if stream, err = AppendADTSFrame(stream, cfg, frame); err != nil {
				t.Fatal(err)
			}
		}
		file := filepath.Join(dir, "silence.aac")
		if err := os.WriteFile(file, stream, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-i", file, "-f", "null", "-")
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Fatalf("%d Hz %d ch: ffmpeg: %v\n%s", c.sr, c.ch, err, out)
		}
		if n := testpeer.FFprobeCountFrames(t, file, "a"); n != c.frames {
			t.Errorf("%d Hz %d ch: ffprobe counted %d frames, want %d", c.sr, c.ch, n, c.frames)
		}
	}
}
