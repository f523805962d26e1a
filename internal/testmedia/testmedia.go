// Package testmedia makes the media the container tests share: the
// synthetic sub-stream of DESIGN.md (decodable synthesised pictures, stamps,
// silent AAC) and real encoded frames from ffmpeg. Test code only.
package testmedia

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

// Device is the device id the frames' stamps carry.
const Device = 4242

// Epoch is the capture time of the first frame.
func Epoch() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }

// AAC16k is the sub-stream's audio: AAC-LC, 16 kHz, mono.
func AAC16k() *aac.Config {
	return &aac.Config{Object: aac.ObjectType(2), SampleRate: 16000, Channels: 1, FrameLength: 1024}
}

// Profile is the DESIGN.md sub-stream profile: 15 fps, GOP 30,
// 512 kbit/s with I frames 10× P frames, 16 kHz AAC at 32 kbit/s.
type Profile struct {
	Codec    av.Codec
	Duration time.Duration
	FPS      int
	GOP      int
	ISize    int
	PSize    int
	AACSize  int // 0: no audio
}

// SubStream is that profile for 10 s (pick the codec with With).
func SubStream() Profile {
	return Profile{FPS: 15, GOP: 30, ISize: 32800, PSize: 3280, AACSize: 256, Duration: 10 * time.Second}
}

// With is p with another codec and duration.
func (p Profile) With(codec av.Codec, d time.Duration) Profile {
	p.Codec, p.Duration = codec, d
	return p
}

// synth is what h264.Synth and h265.Synth have in common.
type synth interface {
	AppendAccessUnit(dst [][]byte, pic h264.Picture, size int, sei []byte) ([][]byte, int)
}

// Frames returns the frames of the profile in generation order (video
// and audio interleaved by time), as the device generator makes them:
// decodable synthesised pictures (media/h264, media/h265) padded to the
// profile's sizes, a stamp SEI in every access unit, silent AAC-LC frames.
func (p Profile) Frames() []av.Frame {
	var s synth
	var err error
	switch p.Codec {
	case av.H264:
		s, err = h264.NewSynth(h264.SynthConfig{Width: 640, Height: 360, FPS: p.FPS})
	case av.H265:
		s, err = h265.NewSynth(h265.SynthConfig{Width: 640, Height: 360, FPS: p.FPS})
	}
	if err != nil {
		panic(err)
	}
	var audio []byte
	if p.AACSize > 0 {
		if audio, err = aac.SilentFrame(1, max(p.AACSize, aac.MinSilentFrameSize(1))); err != nil {
			panic(err)
		}
	}
	var out []av.Frame
	frameDur := time.Second / time.Duration(p.FPS)
	audioDur := time.Second * aac.SamplesPerFrame / 16000
	nv := int(p.Duration / frameDur)
	ai := 0
	addAudio := func(until time.Duration) {
		for p.AACSize > 0 && time.Duration(ai)*audioDur < until {
			at := time.Duration(ai) * audioDur
			out = append(out, av.Frame{Codec: av.AAC, Seq: uint64(ai), PTS: at, DTS: at, Key: true, Payload: audio})
			ai++
		}
	}
	for i := range nv {
		t := time.Duration(i) * frameDur
		addAudio(t)
		f := av.Frame{Codec: p.Codec, Seq: uint64(i), PTS: t, DTS: t, Key: i%p.GOP == 0, Capture: Epoch().Add(t)}
		size := p.PSize
		if f.Key {
			size = p.ISize
		}
		sei := stamp.Append(nil, p.Codec, stamp.New(Device, f.Seq, f.Capture))
		f.NALUs, _ = s.AppendAccessUnit(nil, h264.Picture{GOP: int64(i / p.GOP), Index: i % p.GOP}, size, sei)
		out = append(out, f)
	}
	addAudio(time.Duration(nv) * frameDur)
	return out
}

// Count counts video and audio frames.
func Count(frames []av.Frame) (video, audio int) {
	for i := range frames {
		if frames[i].Codec.IsVideo() {
			video++
		} else {
			audio++
		}
	}
	return
}

// EncodedFrames has ffmpeg encode d of a test pattern (640x360, 15 fps,
// GOP 30, no B frames, access unit delimiters on) and 16 kHz mono AAC, and
// returns the frames in generation order with exact media timestamps.
func EncodedFrames(t testing.TB, codec av.Codec, d time.Duration) []av.Frame {
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
		capture := Epoch().Add(ts)
		st := stamp.Append(nil, codec, stamp.New(Device, uint64(i), capture))
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

// FFprobeValue runs ffprobe -v error ARGS -of default=nokey=1:noprint_wrappers=1 FILE.
func FFprobeValue(t testing.TB, file string, args ...string) string {
	t.Helper()
	args = append([]string{"-v", "error"}, args...)
	args = append(args, "-of", "default=nokey=1:noprint_wrappers=1", file)
	out, err := testpeer.Run(context.Background(), time.Minute, "ffprobe", args...)
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}
