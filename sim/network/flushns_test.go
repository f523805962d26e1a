package network

import (
	"testing"
	"time"
)

// TestFlushNs: the quantum grid in link nanoseconds is flushAt's grid, for
// links made off the grid and due times before and after their start.
func TestFlushNs(t *testing.T) {
	for _, q := range []time.Duration{-1, time.Millisecond, 5 * time.Millisecond, 7 * time.Millisecond, 20 * time.Millisecond} {
		for _, off := range []time.Duration{0, 1, 1234567, 5*time.Millisecond - 1, 333 * time.Microsecond} {
			start := clockEpoch().Add(off)
			l := &Link{start: start, quantum: q}
			if q > 0 {
				l.phase = int64(start.Sub(start.Truncate(q)))
			}
			for _, due := range []time.Duration{-12 * time.Millisecond, -1, 0, 1, 4999999, 5 * time.Millisecond, 123456789, 10 * time.Second} {
				want := l.ns(l.flushAt(start.Add(due)))
				if got := l.flushNs(int64(due)); got != want {
					t.Errorf("quantum %v, start +%v, due %v: flushNs %d, flushAt %d", q, off, due, got, want)
				}
			}
		}
	}
}
