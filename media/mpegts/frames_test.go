package mpegts

import (
	"encoding/hex"
	"testing"

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

// muxAll writes frames as one slice.
func muxAll(tb testing.TB, cfg Config, frames []av.Frame) []byte {
	m, err := NewMuxer(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	var out []byte
	for i := range frames {
		if out, err = m.AppendFrame(out, &frames[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}
