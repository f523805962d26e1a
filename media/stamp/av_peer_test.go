package stamp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/sim/units"
)

// avVectors are the camera profiles of the audio+video real-peer test.
var avVectors = []struct {
	codec         av.Codec
	width, height int
	fps, gop      int
	videoRate     units.Bitrate
	iToP          int
	audioRate     units.Bitrate
	sampleRate    int
	channels      int
	seconds       int
}{
	{av.H264, 640, 360, 15, 30, 512 * units.Kbps, 10, 32 * units.Kbps, 16000, 1, 4},
	{av.H265, 640, 360, 15, 30, 512 * units.Kbps, 10, 32 * units.Kbps, 16000, 1, 4},
	{av.H264, 1920, 1080, 25, 50, 4 * units.Mbps, 8, 128 * units.Kbps, 48000, 2, 3},
	{av.H265, 1920, 1080, 25, 50, 4 * units.Mbps, 8, 128 * units.Kbps, 48000, 2, 3},
}

// accessUnits is what both synthesisers offer.
type accessUnits interface {
	AppendAccessUnit(dst [][]byte, pic h264.Picture, size int, sei []byte) ([][]byte, int)
}

func newSynth(t testing.TB, c av.Codec, w, h, fps int) accessUnits {
	if c == av.H265 {
		s, err := h265.NewSynth(h265.SynthConfig{Width: w, Height: h, FPS: fps})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := h264.NewSynth(h264.SynthConfig{Width: w, Height: h, FPS: fps})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStampedAVWithFFmpeg synthesises stamped video (H.264 and H.265) and
// silent AAC-LC for camera profiles, muxes the two elementary streams with
// `ffmpeg -c copy` into MPEG-TS, and checks: the TS decodes cleanly, ffprobe
// counts every video and audio frame, and every stamp reads back, in order,
// from the video ffmpeg copies back out of the TS.
func TestStampedAVWithFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	for _, v := range avVectors {
		t.Run(fmt.Sprintf("%v %dx%d", v.codec, v.width, v.height), func(t *testing.T) {
			dir := t.TempDir()
			synth := newSynth(t, v.codec, v.width, v.height, v.fps)
			perGOP := int(v.videoRate) / 8 * v.gop / v.fps
			pSize := perGOP / (v.iToP + v.gop - 1)
			frames := v.seconds * v.fps
			base := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
			want := make([]Stamp, frames)
			var es []byte
			var nalus [][]byte
			stampBuf := make([]byte, 0, SizeH265)
			for i := 0; i < frames; i++ {
				want[i] = New(99, uint64(i), base.Add(time.Duration(i)*time.Second/time.Duration(v.fps)))
				pic := h264.Picture{GOP: int64(i / v.gop), Index: i % v.gop}
				size := pSize
				if pic.Index == 0 {
					size = pSize * v.iToP
				}
				nalus, _ = synth.AppendAccessUnit(nalus[:0], pic, size, Append(stampBuf[:0], v.codec, want[i]))
				es = h264.AppendAnnexB(es, nalus...)
			}
			ext, format := "h264", "h264"
			if v.codec == av.H265 {
				ext, format = "hevc", "hevc"
			}
			video := filepath.Join(dir, "v."+ext)
			writeFile(t, video, es)

			audioFrames := v.seconds * v.sampleRate / aac.SamplesPerFrame
			payload, err := aac.SilentFrame(v.channels, aac.FrameSize(v.audioRate, v.sampleRate))
			if err != nil {
				t.Fatal(err)
			}
			cfg := aac.Config{Object: aac.ObjectAACLC, SampleRate: v.sampleRate, Channels: v.channels, FrameLength: aac.SamplesPerFrame}
			var adts []byte
			for i := 0; i < audioFrames; i++ {
				if adts, err = aac.AppendADTSFrame(adts, cfg, payload); err != nil {
					t.Fatal(err)
				}
			}
			audio := filepath.Join(dir, "a.aac")
			writeFile(t, audio, adts)

			ts := filepath.Join(dir, "av.ts")
			ffmpeg(t, "-f", format, "-r", fmt.Sprint(v.fps), "-i", video, "-f", "aac", "-i", audio, "-c", "copy", "-f", "mpegts", "-y", ts)
			testpeer.FFmpegDecodeClean(t, ts)
			if n := countFrames(t, ts, "v"); n != frames {
				t.Errorf("ffprobe counted %d video frames, want %d", n, frames)
			}
			if n := countFrames(t, ts, "a"); n != audioFrames {
				t.Errorf("ffprobe counted %d audio frames, want %d", n, audioFrames)
			}
			back := filepath.Join(dir, "back."+ext)
			ffmpeg(t, "-i", ts, "-map", "0:v", "-c", "copy", "-f", format, "-y", back)
			b, err := os.ReadFile(back)
			if err != nil {
				t.Fatal(err)
			}
			all, err := h264.SplitAnnexB(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			var got []Stamp
			for _, u := range all {
				if s, ok := Read(v.codec, u); ok {
					got = append(got, s)
				}
			}
			checkStamps(t, "TS video", got, want)
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	out, err := testpeer.Run(context.Background(), 2*time.Minute, "ffmpeg", append([]string{"-v", "error", "-nostdin"}, args...)...)
	if err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// countFrames is testpeer.FFprobeCountFrames for files with programs (TS),
// where ffprobe prints the stream once per program and once alone.
func countFrames(t *testing.T, file, kind string) int {
	t.Helper()
	out, err := testpeer.Run(context.Background(), 2*time.Minute, "ffprobe", "-v", "error", "-count_frames",
		"-select_streams", kind+":0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file)
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", file, err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("ffprobe %s: frame count %q: %v", file, out, err)
	}
	return n
}
