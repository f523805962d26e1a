package fmp4

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testmedia"
	"github.com/fleetsim/fleetsim/media/av"
)

// The frames the tests mux come from internal/testmedia (shared with the
// other container's tests); these names keep the tests short.
const testDevice = testmedia.Device

var (
	stampEpoch = testmedia.Epoch()
	aac16k     = testmedia.AAC16k()
	subStream  = testmedia.SubStream()
)

func count(frames []av.Frame) (video, audio int) { return testmedia.Count(frames) }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
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
