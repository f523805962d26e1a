package network

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// writerOnly hides a Conn's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// chunkReader gives its bytes at most n at a time.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

// TestReadFromAsCopy: Conn.ReadFrom, which reads straight into the
// buffers the link queues, makes the same socket writes at the same times
// as io.Copy through Write (its 32 KiB buffer), on clean and lossy links,
// for readers that fill a read and readers that give less.
func TestReadFromAsCopy(t *testing.T) {
	body := make([]byte, sliceBytes)
	for i := range body {
		body[i] = byte(i * 11)
	}
	run := func(p Profile, readN int, readFrom bool) []arrival {
		p.TCP.SendBuffer = 2 * units.MiB // no Write blocks: one goroutine, one order
		fk := newFakeAtEpoch()
		l, err := New(Options{Clock: fk, Seed: 3, Device: "cam-readfrom", Profile: p, Quantum: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		c, rc := dialRec(t, l, fk)
		rc.keep = true
		r := &chunkReader{b: body, n: readN}
		var n int64
		if readFrom {
			n, err = c.ReadFrom(r)
		} else {
			n, err = io.Copy(writerOnly{c}, r)
		}
		if n != int64(len(body)) || err != nil {
			t.Fatalf("copy = %d, %v", n, err)
		}
		c.Close()
		drain(fk)
		return rc.arrivals()
	}
	for _, tc := range []struct {
		name  string
		p     Profile
		readN int
	}{
		{"clean/whole reads", cleanProfile, 1 << 20},
		{"lossy/whole reads", benchProfile, 1 << 20},
		{"lossy/5000-byte reads", benchProfile, 5000},
		{"clean/one-packet reads", cleanProfile, 188},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, got := run(tc.p, tc.readN, false), run(tc.p, tc.readN, true)
			if len(got) != len(want) {
				t.Fatalf("%d socket writes, io.Copy made %d", len(got), len(want))
			}
			var all []byte
			for i := range want {
				if got[i].at != want[i].at || !bytes.Equal(got[i].b, want[i].b) {
					t.Fatalf("write %d: %d bytes at %v, io.Copy wrote %d at %v", i, got[i].n, got[i].at.Sub(clockEpoch()), want[i].n, want[i].at.Sub(clockEpoch()))
				}
				all = append(all, got[i].b...)
			}
			if !bytes.Equal(all, body) {
				t.Fatal("the bytes differ from those read")
			}
		})
	}
}

// TestReadFromBlocking: with the default send buffer a ReadFrom waits for
// space as Write does and delivers every byte in order.
func TestReadFromBlocking(t *testing.T) {
	fk := newFakeAtEpoch()
	l, err := New(Options{Clock: fk, Seed: 3, Device: "cam-readfrom", Profile: benchProfile, Quantum: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, rc := dialRec(t, l, fk)
	rc.keep = true
	body := make([]byte, sliceBytes)
	for i := range body {
		body[i] = byte(i * 13)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if n, err := c.ReadFrom(&chunkReader{b: body, n: 7000}); n != int64(len(body)) || err != nil {
			t.Errorf("ReadFrom = %d, %v", n, err)
		}
	}()
	until(t, fk, done)
	c.Close()
	drain(fk)
	var all []byte
	for _, a := range rc.arrivals() {
		all = append(all, a.b...)
	}
	if !bytes.Equal(all, body) {
		t.Fatalf("%d bytes arrived, not the %d read in order", len(all), len(body))
	}
}
