package mpegts

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testmedia"
	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/av"
)

func encodedFrames(t *testing.T, codec av.Codec, d time.Duration) []av.Frame {
	return testmedia.EncodedFrames(t, codec, d)
}

func ffprobeValue(t *testing.T, file string, args ...string) string {
	return testmedia.FFprobeValue(t, file, args...)
}

func ffprobeCount(t *testing.T, file, streamType string) int {
	return testpeer.FFprobeCountFrames(t, file, streamType)
}

// TestFFmpegAcceptsSlice is evidence 4: a 10 s slice (15 fps, GOP 30,
// 16 kHz AAC) of real encoded H.264 and H.265 passes ffprobe with the
// expected frame counts and duration, and remuxes with -c copy to MP4 and
// to MPEG-TS without a word at -v error.
func TestFFmpegAcceptsSlice(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	for _, codec := range []av.Codec{av.H264, av.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			frames := encodedFrames(t, codec, 10*time.Second)
			slice := muxAll(t, Config{Video: codec, AAC: aac16k}, frames)
			file := filepath.Join(t.TempDir(), "slice.ts")
			if err := os.WriteFile(file, slice, 0o644); err != nil {
				t.Fatal(err)
			}
			nv, na := count(frames)
			if nv != 150 {
				t.Fatalf("encoder gave %d video frames", nv)
			}
			if got := ffprobeCount(t, file, "v"); got != nv {
				t.Errorf("ffprobe decoded %d video frames, want %d", got, nv)
			}
			if got := ffprobeCount(t, file, "a"); got != na {
				t.Errorf("ffprobe decoded %d audio frames, want %d", got, na)
			}
			codecName := ffprobeValue(t, file, "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height")
			codecName = strings.Join(strings.Split(codecName, "\n")[:3], "\n")
			want := map[av.Codec]string{av.H264: "h264\n640\n360", av.H265: "hevc\n640\n360"}[codec]
			if codecName != want {
				t.Errorf("ffprobe stream %q, want %q", codecName, want)
			}
			dur, err := strconv.ParseFloat(ffprobeValue(t, file, "-show_entries", "format=duration"), 64)
			if err != nil {
				t.Fatal(err)
			}
			if dur < 9.9 || dur > 10.2 {
				t.Errorf("ffprobe duration %.3f s, want 10 s", dur)
			}
			info, err := NewVerifier(Limits{}).Verify(slice)
			if err != nil {
				t.Fatal(err)
			}
			if info.VideoFrames != nv || info.AudioFrames != na || !info.FirstKeyWithParams || info.Duration != 10*time.Second {
				t.Errorf("verifier: %+v", info)
			}
			checkStamps(t, info.Stamps, info.Unstamped, nv)
			// The Verifier reads ffmpeg's own TS as well (several AAC
			// frames per PES, its PCR placement, its tables).
			theirs := filepath.Join(t.TempDir(), "theirs.ts")
			if msg, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-i", file, "-c", "copy", "-f", "mpegts", theirs); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, msg)
			}
			tb, err := os.ReadFile(theirs)
			if err != nil {
				t.Fatal(err)
			}
			ti, err := NewVerifier(Limits{}).Verify(tb)
			if err != nil {
				t.Fatalf("verifying ffmpeg's TS: %v", err)
			}
			if ti.VideoFrames != nv || ti.AudioFrames != na || !ti.FirstKeyWithParams || ti.VideoCodec != codec || ti.Duration != 10*time.Second {
				t.Errorf("verifier on ffmpeg's TS: %+v", ti)
			}
			// Stamps survive ffmpeg's remux.
			checkStamps(t, ti.Stamps, ti.Unstamped, nv)
			for _, format := range []string{"mp4", "mpegts"} {
				out := filepath.Join(t.TempDir(), "remux."+format)
				msg, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-i", file, "-c", "copy", "-f", format, out)
				if err != nil || len(msg) > 0 {
					t.Errorf("ffmpeg -c copy -f %s: %v\n%s", format, err, msg)
				}
			}
			t.Logf("%v slice: %d bytes, ffprobe duration %.3f s, %d video + %d audio frames", codec, len(slice), dur, nv, na)
		})
	}
}

// TestFFmpegDecodesSyntheticSlice: a 10 s slice of what the virtual camera
// sends (synthesised H.264/H.265 with stamps, silent AAC) decodes with
// ffmpeg without a single message, frame counts as muxed.
func TestFFmpegDecodesSyntheticSlice(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	for _, c := range sliceCases[:2] {
		t.Run(c.name, func(t *testing.T) {
			frames := c.profile.Frames()
			file := filepath.Join(t.TempDir(), "slice.ts")
			if err := os.WriteFile(file, muxAll(t, c.cfg, frames), 0o644); err != nil {
				t.Fatal(err)
			}
			msg, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-i", file, "-f", "null", "-")
			if err != nil || len(msg) > 0 {
				t.Fatalf("ffmpeg decode: %v\n%s", err, msg)
			}
			nv, na := count(frames)
			if got := ffprobeCount(t, file, "v"); got != nv {
				t.Errorf("ffprobe decoded %d video frames, want %d", got, nv)
			}
			if got := ffprobeCount(t, file, "a"); got != na {
				t.Errorf("ffprobe decoded %d audio frames, want %d", got, na)
			}
		})
	}
}
