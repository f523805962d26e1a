package mpegts

import (
	"context"
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
	"github.com/fleetsim/fleetsim/media/stamp"
)

// encodedFrames has ffmpeg encode d of a test pattern (640x360, 15 fps,
// GOP 30, no B frames, access unit delimiters on) and 16 kHz mono AAC, and
// returns the frames in generation order with exact media timestamps.
func encodedFrames(t *testing.T, codec av.Codec, d time.Duration) []av.Frame {
	t.Helper()
	testpeer.Require(t, "ffmpeg")
	dir := t.TempDir()
	es := filepath.Join(dir, "v.es")
	adts := filepath.Join(dir, "a.aac")
	secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	args := []string{"-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15", "-t", secs}
	if codec == av.H265 {
		args = append(args, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "aud=1:bframes=0:keyint=30:min-keyint=30:scenecut=0:log-level=error", "-f", "hevc", es)
	} else {
		args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-x264-params", "aud=1", "-f", "h264", es)
	}
	args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", secs, "-map", "1:a", "-c:a", "aac", "-ac", "1", "-b:a", "32k", "-f", "adts", adts)
	if out, err := testpeer.Run(context.Background(), 2*time.Minute, "ffmpeg", args...); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(es)
	if err != nil {
		t.Fatal(err)
	}
	nalus, err := h264.SplitAnnexB(nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	// Group NAL units into access units at each delimiter; drop the
	// delimiters (the muxer writes its own).
	var video [][][]byte
	for _, u := range nalus {
		aud := h264.Type(u) == h264.NALAUD
		if codec == av.H265 {
			aud = h265.Type(u) == h265.NALAUD
		}
		if aud {
			video = append(video, nil)
			continue
		}
		if len(video) == 0 {
			t.Fatal("stream does not start with an access unit delimiter")
		}
		video[len(video)-1] = append(video[len(video)-1], u)
	}
	rawA, err := os.ReadFile(adts)
	if err != nil {
		t.Fatal(err)
	}
	var audio [][]byte
	for len(rawA) > 0 {
		_, payload, rest, err := aac.SplitADTS(rawA)
		if err != nil {
			t.Fatal(err)
		}
		audio = append(audio, payload)
		rawA = rest
	}
	frameDur := time.Second / 15
	audioDur := time.Second * aac.SamplesPerFrame / 16000
	var out []av.Frame
	ai := 0
	for i, au := range video {
		ts := time.Duration(i) * frameDur
		for ai < len(audio) && time.Duration(ai)*audioDur < ts {
			at := time.Duration(ai) * audioDur
			out = append(out, av.Frame{Codec: av.AAC, Seq: uint64(ai), PTS: at, DTS: at, Key: true, Payload: audio[ai]})
			ai++
		}
		key := h264.IsKeyFrame(au)
		if codec == av.H265 {
			key = h265.IsKeyFrame(au)
		}
		// The stamp SEI goes before the first slice, as the generator puts it.
		capture := stampEpoch.Add(ts)
		st := stamp.Append(nil, codec, stamp.New(testDevice, uint64(i), capture))
		withStamp := make([][]byte, 0, len(au)+1)
		for j, u := range au {
			vcl := h264.Type(u).IsVCL()
			if codec == av.H265 {
				vcl = h265.Type(u).IsVCL()
			}
			if vcl {
				withStamp = append(append(withStamp, st), au[j:]...)
				break
			}
			withStamp = append(withStamp, u)
		}
		out = append(out, av.Frame{Codec: codec, Seq: uint64(i), PTS: ts, DTS: ts, Key: key, NALUs: withStamp, Capture: capture})
	}
	for ; ai < len(audio); ai++ {
		at := time.Duration(ai) * audioDur
		out = append(out, av.Frame{Codec: av.AAC, Seq: uint64(ai), PTS: at, DTS: at, Key: true, Payload: audio[ai]})
	}
	return out
}

func ffprobeValue(t *testing.T, file string, args ...string) string {
	t.Helper()
	args = append([]string{"-v", "error"}, args...)
	args = append(args, "-of", "default=nokey=1:noprint_wrappers=1", file)
	out, err := testpeer.Run(context.Background(), time.Minute, "ffprobe", args...)
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// ffprobeCount decodes every frame of the first stream of a type. (For TS,
// ffprobe prints each stream twice, once under its program, so
// testpeer.FFprobeCountFrames cannot parse its output; the first line is
// the stream's.)
func ffprobeCount(t *testing.T, file, streamType string) int {
	t.Helper()
	v := ffprobeValue(t, file, "-count_frames", "-select_streams", streamType+":0", "-show_entries", "stream=nb_read_frames")
	n, err := strconv.Atoi(strings.SplitN(v, "\n", 2)[0])
	if err != nil {
		t.Fatalf("ffprobe frame count %q: %v", v, err)
	}
	return n
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
			frames := c.profile.frames()
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
