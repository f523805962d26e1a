package device

import (
	"testing"

	"github.com/fleetsim/fleetsim/media/av"
)

// TestHoldUntilAskedIDR: after push-start asked channel 1 for an IDR, the
// firmware holds back that channel's audio and the P frames the encoder made
// before it took the request (the SDK would refuse them, CS10), until the
// key frame; other channels are not held.
func TestHoldUntilAskedIDR(t *testing.T) {
	var d Device
	d.awaitIDR = 1 << 1
	p := &av.Frame{Codec: av.H264}
	idr := &av.Frame{Codec: av.H264, Key: true}
	aac := &av.Frame{Codec: av.AAC}
	for i, c := range []struct {
		ch   int
		f    *av.Frame
		hold bool
	}{
		{0, p, false}, {0, aac, false}, // channel 0 waits for nothing
		{1, aac, true}, {1, p, true}, {1, aac, true},
		{1, idr, false}, // the IDR ends the wait
		{1, p, false}, {1, aac, false},
		{64, p, false}, {-1, aac, false},
	} {
		if got := d.holdLocked(c.ch, c.f); got != c.hold {
			t.Errorf("step %d: channel %d key %v video %v: hold %v, want %v", i, c.ch, c.f.Key, c.f.Codec.IsVideo(), got, c.hold)
		}
	}
}
