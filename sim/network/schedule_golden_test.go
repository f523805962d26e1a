package network

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// TestScheduleGolden pins the link's TCP decisions: the time and size of
// every write a slice upload makes to the real socket, and the link's
// statistics, on a clean link, the lossy bench link and a link with heavy
// loss, jitter and reordering of arrivals by fast retransmit, at the
// runner's 5 ms quantum and at exact times. An optimisation of the
// queue or the model must leave it unchanged (-update rewrites it). A
// socket that takes the link's buffers over (memnet's WriteHandoff) gets
// the same writes, and every buffer back exactly once.
func TestScheduleGolden(t *testing.T) {
	for _, handoff := range []bool{false, true} {
		out := scheduleGolden(t, handoff)
		golden := filepath.Join("testdata", "schedule.golden")
		if *update && !handoff {
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("handoff %v: socket writes differ from %s (run with -update if the change is meant)", handoff, golden)
		}
	}
}

// handRec is a recConn that takes buffers over (WriteHandoff) and checks
// the ownership rule: a buffer is released once, after its last part.
type handRec struct {
	*recConn
	held map[*[]byte]bool // handed over and not yet released
}

func (h *handRec) WriteHandoff(b []byte, buf *[]byte, release func(*[]byte)) (int, error) {
	h.record(b)
	h.held[buf] = true
	if release != nil {
		release(buf)
		delete(h.held, buf)
	}
	return len(b), nil
}

func scheduleGolden(t *testing.T, handoff bool) []byte {
	heavy := Profile{
		Up: Direction{Rate: 8 * units.Mbps, Delay: units.Duration(ms(30)),
			Jitter: units.Duration(ms(10)), Distribution: Pareto, Loss: 0.03},
		Down: Direction{Rate: 20 * units.Mbps, Delay: units.Duration(ms(30))},
	}
	var out bytes.Buffer
	for _, tc := range []struct {
		name    string
		p       Profile
		quantum time.Duration
	}{
		{"clean/5ms", cleanProfile, 5 * time.Millisecond},
		{"lossy/5ms", benchProfile, 5 * time.Millisecond},
		{"heavy/exact", heavy, -1},
		{"heavy/5ms", heavy, 5 * time.Millisecond},
	} {
		tc.p.TCP.SendBuffer = 2 * units.MiB // no Write blocks: one goroutine, one order
		fk := newFakeAtEpoch()
		l, err := New(Options{Clock: fk, Seed: 7, Device: "cam-golden", Profile: tc.p, Quantum: tc.quantum})
		if err != nil {
			t.Fatal(err)
		}
		var c *Conn
		rc := &recConn{clk: fk, keep: true}
		hr := &handRec{recConn: rc, held: map[*[]byte]bool{}}
		if handoff {
			nc, err := l.wrapConn(hr)
			if err != nil {
				t.Fatal(err)
			}
			c = nc.(*Conn)
		} else {
			c, rc = dialRec(t, l, fk)
			rc.keep = true
		}
		body := make([]byte, sliceBytes)
		for i := range body {
			body[i] = byte(i * 7)
		}
		for off := 0; off < len(body); off += sliceChunk {
			if n, err := c.Write(body[off:min(off+sliceChunk, len(body))]); err != nil {
				t.Fatalf("%s: Write = %d, %v", tc.name, n, err)
			}
			fk.Advance(50 * time.Millisecond)
		}
		c.Close()
		drain(fk)
		var got []byte
		for _, a := range rc.arrivals() {
			got = append(got, a.b...)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("%s: the socket got %d bytes, not the %d written in order", tc.name, len(got), len(body))
		}
		if len(hr.held) != 0 {
			t.Errorf("%s: %d buffers handed over and never released", tc.name, len(hr.held))
		}
		st := l.Stats()
		fmt.Fprintf(&out, "%s: %d writes, %d bytes, up %+v\n", tc.name, len(rc.arrivals()), rc.bytes(), st.Up)
		for _, a := range rc.arrivals() {
			fmt.Fprintf(&out, "%d %d\n", a.at.Sub(clockEpoch()).Microseconds(), a.n)
		}
	}
	return out.Bytes()
}
