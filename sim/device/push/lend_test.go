package push

import (
	"bytes"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// SendFrame keeps a copy of what it queues: a caller that reuses one frame
// struct and NAL unit list for every frame and wipes them after each call
// (a device's lending source) puts the same messages on the wire as one
// that hands over fresh frames. With a flush delay on the fake clock the
// frames wait in the queue until the clock moves: past the calls.
func TestSendFrameKeepsACopy(t *testing.T) {
	wire := func(lend bool) [][]byte {
		r := newRig(t, av.H264, Options{FlushDelay: time.Second})
		r.connect()
		var lent av.Frame
		var nalus [][]byte
		sent := 0
		for _, f := range frames(t, r.sh, 1, 3, 2*time.Second) {
			if lend {
				nalus = append(nalus[:0], f.NALUs...)
				lent = *f
				lent.NALUs = nalus
				f = &lent
			}
			if r.sdk.SendFrame(r.id, f) == nil {
				sent++
			}
			if lend {
				clear(nalus)
				lent = av.Frame{}
			}
		}
		r.clk.Advance(time.Second)
		r.idle()
		var out [][]byte
		waitFor(t, "every frame recorded", func() bool {
			out = out[:0]
			for _, m := range r.rec.messages() {
				if m.Type == 8 || m.Type == 9 {
					out = append(out, m.Payload)
				}
			}
			return len(out) >= sent
		})
		return out
	}
	fresh, lent := wire(false), wire(true)
	if len(fresh) < 40 || len(lent) != len(fresh) {
		t.Fatalf("%d media messages from lent frames, %d from fresh ones", len(lent), len(fresh))
	}
	for i := range fresh {
		if !bytes.Equal(fresh[i], lent[i]) {
			t.Fatalf("media message %d differs when the frame is lent", i)
		}
	}
}
