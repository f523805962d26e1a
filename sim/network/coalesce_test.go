package network

import (
	"bytes"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

func TestAdjacent(t *testing.T) {
	buf := make([]byte, 100, 120)
	other := make([]byte, 100)
	for _, c := range []struct {
		name string
		a, b []byte
		want bool
	}{
		{"end to end", buf[0:40], buf[40:100], true},
		{"into spare capacity", buf[0:100], buf[100:110], true},
		{"gap", buf[0:40], buf[41:100], false},
		{"overlap", buf[0:40], buf[39:100], false},
		{"before", buf[40:100], buf[0:40], false},
		{"other array", buf[0:40], other[0:10], false},
		{"empty b", buf[0:40], buf[40:40], false},
		{"a full, b elsewhere", other[:100:100], buf[0:10], false},
	} {
		if got := adjacent(c.a, c.b); got != c.want {
			t.Errorf("%s: adjacent = %v, want %v", c.name, got, c.want)
		}
	}
}

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
