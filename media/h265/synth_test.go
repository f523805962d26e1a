package h265

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/h264"
)

// synthVectors is the table of synthesised streams shared by the size
// tests, the real-peer decode test and the benchmarks.
var synthVectors = []struct {
	name          string
	width, height int
	fps, gop      int
	bitrate       int // bits per second
	iToP          int
	frames        int
}{
	{"640x360 512k 15fps gop30", 640, 360, 15, 30, 512_000, 10, 75},
	{"1920x1080 4M 25fps gop50", 1920, 1080, 25, 50, 4_000_000, 8, 60},
	{"1280x720 1M 30fps gop1", 1280, 720, 30, 1, 1_000_000, 1, 10},
	{"176x144 64k 10fps gop20", 176, 144, 10, 20, 64_000, 4, 45},
	{"642x362 conformance window 300k", 642, 362, 12, 17, 300_000, 6, 40},
	{"3840x2160 8M 30fps gop60", 3840, 2160, 30, 60, 8_000_000, 10, 12},
}

func frameSizes(bitrate, fps, gop, iToP int) (iSize, pSize int) {
	perGOP := bitrate / 8 * gop / fps
	p := perGOP / (iToP + gop - 1)
	return p * iToP, p
}

func TestSynthParameterSets(t *testing.T) {
	for _, v := range synthVectors {
		s, err := NewSynth(SynthConfig{Width: v.width, Height: v.height, FPS: v.fps})
		if err != nil {
			t.Fatal(err)
		}
		sps, err := ParseSPS(s.SPS())
		if err != nil {
			t.Fatal(err)
		}
		if sps.Width != v.width || sps.Height != v.height || sps.FrameRate() != float64(v.fps) {
			t.Errorf("%s: SPS says %dx%d at %v", v.name, sps.Width, sps.Height, sps.FrameRate())
		}
		if _, err := ParseVPS(s.VPS()); err != nil {
			t.Error(err)
		}
		if _, err := ParsePPS(s.PPS()); err != nil {
			t.Error(err)
		}
		dc := s.DecoderConfig()
		rec, err := dc.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseDecoderConfig(rec); err != nil {
			t.Error(err)
		}
	}
}

func TestSynthSizes(t *testing.T) {
	v := synthVectors[0]
	s, err := NewSynth(SynthConfig{Width: v.width, Height: v.height, FPS: v.fps})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []bool{true, false} {
		min := s.MinSize(key, 0)
		for size := min - 3; size < min+70000; size += 1 + size/50 {
			pic := Picture{Index: 5}
			if key {
				pic.Index = 0
			}
			nalus, got := s.AppendAccessUnit(nil, pic, size, nil)
			sum := 0
			for _, u := range nalus {
				sum += len(u)
			}
			want := size
			switch {
			case size < min:
				want = min
			case size > min && size <= min+2:
				want = min + 3
			}
			if sum != got || got != want {
				t.Fatalf("key=%v: asked %d, got %d (NAL bytes %d, min %d)", key, size, got, sum, min)
			}
			if IsKeyFrame(nalus) != key {
				t.Fatalf("key=%v: IsKeyFrame disagrees", key)
			}
		}
	}
}

// greyFrameMD5 is the MD5 of a w×h yuv420p frame of value 128.
func greyFrameMD5(w, h int) string {
	n := w*h + 2*((w+1)/2)*((h+1)/2)
	return fmt.Sprintf("%x", md5.Sum(bytes.Repeat([]byte{128}, n)))
}

func writeSynthStream(t testing.TB, dir string, s *Synth, fps, gop, bitrate, iToP, frames int, sei func(i int) []byte) string {
	iSize, pSize := frameSizes(bitrate, fps, gop, iToP)
	var out []byte
	var nalus [][]byte
	for i := 0; i < frames; i++ {
		pic := Picture{GOP: int64(i / gop), Index: i % gop}
		size := pSize
		if pic.Index == 0 {
			size = iSize
		}
		var extra []byte
		if sei != nil {
			extra = sei(i)
		}
		nalus, _ = s.AppendAccessUnit(nalus[:0], pic, size, extra)
		out = h264.AppendAnnexB(out, nalus...)
	}
	path := filepath.Join(dir, "synth.hevc")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSynthDecodesWithFFmpeg checks that ffmpeg decodes every synthesised
// stream without a message (at -v error, nor decoder complaints at -v
// debug) and that ffprobe sees the frame count, size and rate asked for.
func TestSynthDecodesWithFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	for _, v := range synthVectors {
		t.Run(v.name, func(t *testing.T) {
			s, err := NewSynth(SynthConfig{Width: v.width, Height: v.height, FPS: v.fps})
			if err != nil {
				t.Fatal(err)
			}
			file := writeSynthStream(t, t.TempDir(), s, v.fps, v.gop, v.bitrate, v.iToP, v.frames, nil)
			testpeer.FFmpegDecodeClean(t, file)
			if n := testpeer.FFprobeCountFrames(t, file, "v"); n != v.frames {
				t.Errorf("ffprobe counted %d frames, want %d", n, v.frames)
			}
			// Every picture must decode to flat grey (8-bit 128 in all
			// planes): a mis-coded slice decodes to something else even
			// when the decoder does not complain.
			grey := greyFrameMD5(v.width, v.height)
			sums := testpeer.FFmpegFrameMD5s(t, file, "yuv420p")
			if len(sums) != v.frames {
				t.Fatalf("framemd5 gave %d frames, want %d", len(sums), v.frames)
			}
			for i, sum := range sums {
				if sum != grey {
					t.Fatalf("frame %d is not flat grey (md5 %s, want %s)", i, sum, grey)
				}
			}
			out, err := testpeer.Run(context.Background(), time.Minute, "ffprobe", "-v", "error", "-select_streams", "v:0",
				"-show_entries", "stream=width,height,r_frame_rate", "-of", "csv=p=0", file)
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, out)
			}
			want := strconv.Itoa(v.width) + "," + strconv.Itoa(v.height) + "," + strconv.Itoa(v.fps) + "/1"
			if got := strings.TrimSpace(string(out)); got != want {
				t.Errorf("ffprobe stream %q, want %q", got, want)
			}
		})
	}
}
