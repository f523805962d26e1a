package fmp4

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// Parameter sets of a 640x360 stream from libx264 / libx265: the
// containers and the Verifier read NAL types and (fMP4) the SPS, never the
// slice data, so synthetic frames pair these with filler slice payloads.
var (
	h264SPS = mustHex("67640016acb201405ff2e0220000030002000003003c1e2c5c90")
	h264PPS = mustHex("68ebc3cb22c0")
	h265VPS = mustHex("40010c01ffff01600000030090000003000003003f928090")
	h265SPS = mustHex("42010101600000030090000003000003003fa0050201696592a4932bc05a020000030002000003001e10")
	h265PPS = mustHex("4401c172b46240")
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

// slicePayload makes a NAL unit of the given type header and size whose
// body is 0xAB filler (never a start code).
func slicePayload(header []byte, size int) []byte {
	b := make([]byte, size)
	copy(b, header)
	for i := len(header); i < size; i++ {
		b[i] = 0xAB
	}
	return b
}

// frames returns the frames of the profile in generation order (video
// and audio interleaved by time). Payloads are shared between frames, as
// the real generator shares them.
func (p synthProfile) frames() []av.Frame {
	var idr, nonIDR [][]byte
	switch p.codec {
	case av.H264:
		idr = [][]byte{h264SPS, h264PPS, slicePayload([]byte{0x65, 0x88}, p.iSize)}
		nonIDR = [][]byte{slicePayload([]byte{0x41, 0x9a}, p.pSize)}
	case av.H265:
		idr = [][]byte{h265VPS, h265SPS, h265PPS, slicePayload([]byte{0x26, 0x01, 0xaf}, p.iSize)}
		nonIDR = [][]byte{slicePayload([]byte{0x02, 0x01, 0xd0}, p.pSize)}
	}
	audio := slicePayload([]byte{0x21, 0x10}, max(p.aacSize, 2))
	var out []av.Frame
	frameDur := time.Second / time.Duration(p.fps)
	audioDur := time.Second * 1024 / 16000
	nv := int(p.duration / frameDur)
	var ai int
	for i := range nv {
		t := time.Duration(i) * frameDur
		for p.aacSize > 0 && time.Duration(ai)*audioDur < t {
			at := time.Duration(ai) * audioDur
			out = append(out, av.Frame{Codec: av.AAC, Seq: uint64(ai), PTS: at, DTS: at, Key: true, Payload: audio})
			ai++
		}
		f := av.Frame{Codec: p.codec, Seq: uint64(i), PTS: t, DTS: t, Key: i%p.gop == 0, Capture: stampEpoch.Add(t)}
		// The stamp SEI goes after the parameter sets, before the slice.
		pic := nonIDR
		if f.Key {
			pic = idr
		}
		f.NALUs = make([][]byte, 0, len(pic)+1)
		f.NALUs = append(f.NALUs, pic[:len(pic)-1]...)
		f.NALUs = append(f.NALUs, stamp.Append(nil, p.codec, stamp.New(testDevice, f.Seq, f.Capture)))
		f.NALUs = append(f.NALUs, pic[len(pic)-1])
		out = append(out, f)
	}
	for p.aacSize > 0 && time.Duration(ai)*audioDur < time.Duration(nv)*frameDur {
		at := time.Duration(ai) * audioDur
		out = append(out, av.Frame{Codec: av.AAC, Seq: uint64(ai), PTS: at, DTS: at, Key: true, Payload: audio})
		ai++
	}
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
