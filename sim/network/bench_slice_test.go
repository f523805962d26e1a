package network

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/units"
)

// cleanProfile is bench/scenarios/embedded.yaml's link: a bandwidth cap
// and delay, no loss, no jitter, no outages.
var cleanProfile = Profile{
	Up:   Direction{Rate: 4 * units.Mbps, Queue: units.MiB, Delay: units.Duration(ms(14))},
	Down: Direction{Rate: 25 * units.Mbps, Delay: units.Duration(ms(14))},
}

// sliceBytes is one 10 s TS slice of the quickstart camera.
const sliceBytes = 680 * 1000

// sliceChunk is how the HTTP client hands the slice body to the link.
const sliceChunk = 32 * 1024

// uploadSlice writes one slice through nc in sliceChunk writes on the Fake
// clock, advancing it in 5 ms steps before each write until the chunk
// fits the send buffer (no Write ever blocks: one goroutine), then lets
// the link drain.
func uploadSlice(fk *clock.Fake, nc *Conn, body []byte) {
	for off := 0; off < len(body); off += sliceChunk {
		for nc.Buffered() > DefaultSendBuffer-sliceChunk {
			fk.Advance(5 * time.Millisecond)
		}
		nc.Write(body[off:min(off+sliceChunk, len(body))])
	}
	fk.Advance(2 * time.Second)
}

// uploadSliceReadFrom is uploadSlice through Conn.ReadFrom (the HTTP
// client's path): each chunk is read straight into the link's buffer.
func uploadSliceReadFrom(fk *clock.Fake, nc *Conn, body []byte, r *bytes.Reader) {
	for off := 0; off < len(body); off += sliceChunk {
		for nc.Buffered() > DefaultSendBuffer-sliceChunk {
			fk.Advance(5 * time.Millisecond)
		}
		r.Reset(body[off:min(off+sliceChunk, len(body))])
		nc.ReadFrom(r)
	}
	fk.Advance(2 * time.Second)
}

// BenchmarkSliceUpload is the CPU and allocation a link adds to the upload
// of one 680 KB slice (466 segments): the per-segment model decisions, the
// queueing and the flushes at the runner's 5 ms quantum, into a socket
// that discards. MB/s is slice bytes per CPU second. The readfrom cases
// write through Conn.ReadFrom (no copy into the link's buffers).
func BenchmarkSliceUpload(b *testing.B) {
	for _, tc := range []struct {
		name     string
		p        Profile
		readFrom bool
	}{{"clean", cleanProfile, false}, {"lossy", benchProfile, false}, {"clean/readfrom", cleanProfile, true}} {
		b.Run(tc.name, func(b *testing.B) {
			fk := clock.NewFake(clock.Epoch())
			l, err := New(Options{Clock: fk, Seed: 1, Device: "bench", Profile: tc.p, Quantum: 5 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			c, _ := l.wrapConn(discardConn{})
			nc := c.(*Conn)
			body := make([]byte, sliceBytes)
			r := bytes.NewReader(nil)
			upload := func() { uploadSlice(fk, nc, body) }
			if tc.readFrom {
				upload = func() { uploadSliceReadFrom(fk, nc, body, r) }
			}
			upload() // warm the pools and arrays
			b.SetBytes(sliceBytes)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				upload()
			}
		})
	}
}

// BenchmarkConnMemory is the heap a connection holds: open with nothing
// queued after it has uploaded a slice (idle), and in the middle of an
// upload with its send buffer full (uploading). The buffer pools are
// emptied before each reading, so a queued byte counts once. Run it with
// -benchtime=1x.
func BenchmarkConnMemory(b *testing.B) {
	const conns = 500
	for i := 0; i < b.N; i++ {
		fk := clock.NewFake(clock.Epoch())
		ls := make([]*Link, conns)
		ncs := make([]*Conn, conns)
		body := make([]byte, sliceBytes)
		for j := range ls {
			l, err := New(Options{Clock: fk, Seed: 1, Device: "cam-" + itoa(j), Profile: cleanProfile, Quantum: 5 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			ls[j] = l
		}
		heap := func() uint64 {
			var m runtime.MemStats
			runtime.GC()
			runtime.GC() // sync.Pool keeps a victim cache one cycle
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		h0 := heap()
		for j, l := range ls {
			nc, _ := l.wrapConn(discardConn{})
			ncs[j] = nc.(*Conn)
		}
		h1 := heap()
		// Upload a slice and go idle.
		for off := 0; off < sliceBytes; off += sliceChunk {
			for _, nc := range ncs {
				for nc.Buffered() > DefaultSendBuffer-sliceChunk {
					fk.Advance(5 * time.Millisecond)
				}
				nc.Write(body[off:min(off+sliceChunk, sliceBytes)])
			}
		}
		fk.Advance(2 * time.Second)
		h2 := heap()
		// Fill every send buffer and stop half-way through its delivery.
		for _, nc := range ncs {
			nc.Write(body[:DefaultSendBuffer])
		}
		fk.Advance(60 * time.Millisecond)
		h3 := heap()
		b.ReportMetric(float64(int64(h1)-int64(h0))/conns, "B/new-conn")
		b.ReportMetric(float64(int64(h2)-int64(h0))/conns, "B/idle-conn")
		b.ReportMetric(float64(int64(h3)-int64(h0))/conns, "B/uploading-conn")
		for _, l := range ls {
			l.Close()
		}
		runtime.KeepAlive(ncs)
	}
}
