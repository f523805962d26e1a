package network

import (
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// ackFreeingLocked finds the acknowledgement after which enough of the send
// buffer is free for a blocked writer, skipping those already reaped.
func TestAckFreeing(t *testing.T) {
	t0 := clock.Epoch()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	l := &Link{start: t0}
	ns := func(ms int) int64 { return l.ns(at(ms)) }
	c := &Conn{l: l, acks: []ackRec{{ns(1), 700}, {ns(2), 1000}, {ns(3), 2000}, {ns(4), 500}}, ackHead: 1}
	tests := []struct {
		need int
		want time.Time
	}{
		{1, at(2)},
		{1000, at(2)},
		{1001, at(3)},
		{3000, at(3)},
		{3500, at(4)},
		{3501, time.Time{}}, // not before more data is flushed
	}
	for _, tc := range tests {
		if got := c.ackFreeingLocked(tc.need); !got.Equal(tc.want) {
			t.Errorf("need %d: ack at %v, want %v", tc.need, got, tc.want)
		}
	}
}
