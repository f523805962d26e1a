package fmp4

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// testDevice and stampEpoch are what the synthetic frames' stamps carry.
const testDevice = 4242

var stampEpoch = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

var aac16k = &aac.Config{Object: aac.ObjectType(2), SampleRate: 16000, Channels: 1, FrameLength: 1024}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// synthProfile is the DESIGN.md sub-stream profile: 15 fps, GOP 30,
// 512 kbit/s with I frames 10× P frames, 16 kHz AAC at 32 kbit/s.
type synthProfile struct {
	codec    av.Codec
	duration time.Duration
	fps      int
	gop      int
	iSize    int
	pSize    int
	aacSize  int // 0: no audio
}

var subStream = synthProfile{fps: 15, gop: 30, iSize: 32800, pSize: 3280, aacSize: 256, duration: 10 * time.Second}

func (p synthProfile) with(codec av.Codec, d time.Duration) synthProfile {
	p.codec, p.duration = codec, d
	return p
}

// synth is what h264.Synth and h265.Synth have in common.
type synth interface {
	AppendAccessUnit(dst [][]byte, pic h264.Picture, size int, sei []byte) ([][]byte, int)
}

// frames returns the frames of the profile in generation order (video
// and audio interleaved by time), as the device generator makes them:
// decodable synthesised pictures (media/h264, media/h265) padded to the
// profile's sizes, a stamp SEI in every access unit, silent AAC-LC frames.
func (p synthProfile) frames() []av.Frame {
	var s synth
	var err error
	switch p.codec {
	case av.H264:
		s, err = h264.NewSynth(h264.SynthConfig{Width: 640, Height: 360, FPS: p.fps})
	case av.H265:
		s, err = h265.NewSynth(h265.SynthConfig{Width: 640, Height: 360, FPS: p.fps})
	}
	if err != nil {
		panic(err)
	}
	var audio []byte
	if p.aacSize > 0 {
		if audio, err = aac.SilentFrame(1, max(p.aacSize, aac.MinSilentFrameSize(1))); err != nil {
			panic(err)
		}
	}
	var out []av.Frame
	frameDur := time.Second / time.Duration(p.fps)
	audioDur := time.Second * aac.SamplesPerFrame / 16000
	nv := int(p.duration / frameDur)
	ai := 0
	addAudio := func(until time.Duration) {
		for p.aacSize > 0 && time.Duration(ai)*audioDur < until {
			at := time.Duration(ai) * audioDur
			out = append(out, av.Frame{Codec: av.AAC, Seq: uint64(ai), PTS: at, DTS: at, Key: true, Payload: audio})
			ai++
		}
	}
	for i := range nv {
		t := time.Duration(i) * frameDur
		addAudio(t)
		f := av.Frame{Codec: p.codec, Seq: uint64(i), PTS: t, DTS: t, Key: i%p.gop == 0, Capture: stampEpoch.Add(t)}
		size := p.pSize
		if f.Key {
			size = p.iSize
		}
		sei := stamp.Append(nil, p.codec, stamp.New(testDevice, f.Seq, f.Capture))
		f.NALUs, _ = s.AppendAccessUnit(nil, h264.Picture{GOP: int64(i / p.gop), Index: i % p.gop}, size, sei)
		out = append(out, f)
	}
	addAudio(time.Duration(nv) * frameDur)
	return out
}

func count(frames []av.Frame) (video, audio int) {
	for i := range frames {
		if frames[i].Codec.IsVideo() {
			video++
		} else {
			audio++
		}
	}
	return
}

// split separates video and audio frames.
func split(frames []av.Frame) (video, audio []av.Frame) {
	for _, f := range frames {
		if f.Codec.IsVideo() {
			video = append(video, f)
		} else {
			audio = append(audio, f)
		}
	}
	return video, audio
}

// muxAll writes frames as one slice (init + one fragment per GOP).
func muxAll(tb testing.TB, withAudio bool, frames []av.Frame) []byte {
	tb.Helper()
	video, audio := split(frames)
	vc, err := VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{Video: vc}
	if withAudio {
		cfg.AAC = aac16k
	}
	m, err := NewMuxer(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := m.AppendSlice(nil, video, audio)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
