package network

import (
	"bytes"
	"context"
	"math"
	"net"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

func TestUDPImpairments(t *testing.T) {
	const n = 20000
	cases := []struct {
		name  string
		dir   Direction
		check func(t *testing.T, sent [][]byte, got []arrival, s DirStats)
	}{
		{"duplicate", Direction{Duplicate: 0.1, Delay: units.Duration(ms(10))}, func(t *testing.T, sent [][]byte, got []arrival, s DirStats) {
			if r := float64(len(got)-n) / n; math.Abs(r-0.1) > 0.01 {
				t.Errorf("duplicates %.4f, want 0.1±0.01", r)
			}
		}},
		{"corrupt flips one bit", Direction{Corrupt: 0.05}, func(t *testing.T, sent [][]byte, got []arrival, s DirStats) {
			flipped := 0
			for i, a := range got {
				diff := 0
				for k := range a.b {
					x := a.b[k] ^ sent[i][k]
					for ; x != 0; x &= x - 1 {
						diff++
					}
				}
				if diff > 1 {
					t.Fatalf("datagram %d has %d flipped bits", i, diff)
				}
				flipped += diff
			}
			if r := float64(flipped) / n; math.Abs(r-0.05) > 0.006 || int64(flipped) != s.Corrupted {
				t.Errorf("corrupted %.4f (stats %d), want 0.05±0.006", r, s.Corrupted)
			}
		}},
		{"reorder", Direction{Delay: units.Duration(ms(50)), Reorder: 0.25, ReorderGap: 1}, func(t *testing.T, sent [][]byte, got []arrival, s DirStats) {
			// Sent 1 ms apart: a reordered datagram overtakes the ~50 in flight.
			early := 0
			for i := 1; i < len(got); i++ {
				if bytes.Compare(got[i].b[:4], got[i-1].b[:4]) < 0 {
					early++
				}
			}
			if r := float64(s.Reordered) / n; math.Abs(r-0.25) > 0.015 {
				t.Errorf("reordered %.4f, want 0.25±0.015", r)
			}
			if early == 0 {
				t.Error("nothing arrived out of order")
			}
		}},
		{"reorder gap", Direction{Delay: units.Duration(ms(50)), Reorder: 1, ReorderGap: 5}, func(t *testing.T, sent [][]byte, got []arrival, s DirStats) {
			if s.Reordered != n/5 {
				t.Errorf("reordered %d, want every 5th: %d", s.Reordered, n/5)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, fk := newTestLink(t, Profile{Up: tc.dir}, "cam-udp")
			rc := &recConn{clk: fk, keep: true}
			pc, _ := l.wrapPacket(rc, nil)
			var sent [][]byte
			for i := 0; i < n; i++ {
				b := []byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), 1, 2, 3, 4, 5, 6, 7, 8}
				sent = append(sent, append([]byte(nil), b...))
				pc.(*PacketConn).WriteTo(b, nil)
				fk.Advance(time.Millisecond)
			}
			drain(fk)
			tc.check(t, sent, rc.arrivals(), l.Stats().Up)
		})
	}
}

func TestUDPOverRealSockets(t *testing.T) {
	// Up: 20 % loss; down: 40 ms delay. A real echo peer in between.
	p := Profile{Up: Direction{Loss: 0.2}, Down: Direction{Delay: units.Duration(ms(40))}}
	l, fk := newTestLink(t, p, "cam-rtp")
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	c, err := l.Dial(context.Background(), "udp", echo.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 200 // within the peer's receive buffer
	for i := 0; i < n; i++ {
		c.Write([]byte{byte(i >> 8), byte(i)})
	}
	drain(fk)                                              // all due now: written to the real socket
	echo.SetReadDeadline(time.Now().Add(10 * time.Second)) // a guard, not a measurement
	got := 0
	buf := make([]byte, 64)
	var from net.Addr
	for want := n - int(l.Stats().Up.Lost); got < want; {
		k, a, err := echo.ReadFrom(buf)
		if err != nil {
			break
		}
		got++
		from = a
		_ = k
	}
	if s := l.Stats().Up; got != n-int(s.Lost) || math.Abs(float64(s.Lost)/n-0.2) > 0.08 {
		t.Fatalf("peer got %d of %d, link lost %d", got, n, s.Lost)
	}
	// The reply comes back 40 ms later on the link's clock.
	echo.WriteTo([]byte("pong"), from)
	done := make(chan struct{})
	var reply []byte
	start := fk.Now()
	var at time.Time
	go func() {
		b := make([]byte, 16)
		k, _ := c.Read(b)
		reply, at = b[:k], fk.Now()
		close(done)
	}()
	until(t, fk, done)
	if string(reply) != "pong" || at.Sub(start) != ms(40) {
		t.Fatalf("reply %q at %v, want pong at 40ms", reply, at.Sub(start))
	}
}
