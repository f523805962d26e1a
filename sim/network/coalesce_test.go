package network

import (
	"bytes"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// TestFlushCoalescesSegments: the segments of one Write that fall due
// together reach the socket in one write, in order and whole (memnet has no
// writev: one write per segment cost a lock and a wake-up each), while a
// rate-limited link still hands them over one quantum at a time.
func TestFlushCoalescesSegments(t *testing.T) {
	for _, c := range []struct {
		name     string
		rate     units.Bitrate
		quantum  time.Duration
		maxWrite int // most socket writes for the 64 KiB
		minWrite int
	}{
		{"unlimited", 0, -1, 1, 1},
		{"4 Mbit/s, 5 ms quantum", 4 * units.Mbps, 5 * time.Millisecond, 40, 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := Profile{
				Up:   Direction{Rate: c.rate, Delay: units.Duration(ms(10))},
				Down: Direction{Delay: units.Duration(ms(10))},
				TCP:  TCP{SendBuffer: 1 * units.MiB},
			}
			fk := newFakeAtEpoch()
			l, err := New(Options{Clock: fk, Seed: 1, Device: "cam-coalesce", Profile: p, Quantum: c.quantum})
			if err != nil {
				t.Fatal(err)
			}
			conn, rc := dialRec(t, l, fk)
			rc.keep = true
			data := make([]byte, 64<<10)
			for i := range data {
				data[i] = byte(i * 13)
			}
			if n, err := conn.Write(data); n != len(data) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			drain(fk)
			var got []byte
			for _, a := range rc.arrivals() {
				got = append(got, a.b...)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%d bytes arrived, not the %d written in order", len(got), len(data))
			}
			if n := len(rc.arrivals()); n < c.minWrite || n > c.maxWrite {
				t.Errorf("%d socket writes for %d segments, want %d..%d", n, (len(data)+DefaultMSS-1)/DefaultMSS, c.minWrite, c.maxWrite)
			}
			conn.Close()
			drain(fk)
		})
	}
}
