package network

import (
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/units"
)

// benchProfile is a home Wi-Fi uplink carrying a 512 kbps camera.
var benchProfile = Profile{
	Up: Direction{Rate: 4 * units.Mbps, Queue: 256 * units.KiB, Delay: units.Duration(ms(20)),
		Jitter: units.Duration(ms(5)), Distribution: Normal, Loss: 0.002},
	Down: Direction{Rate: 20 * units.Mbps, Delay: units.Duration(ms(20))},
}

// frameBytes is one frame of a 512 kbps, 15 fps stream.
const frameBytes = 512000 / 8 / 15

// discardConn swallows writes.
type discardConn struct{}

func (discardConn) Write(b []byte) (int, error)               { return len(b), nil }
func (discardConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }
func (discardConn) Read([]byte) (int, error)                  { select {} }
func (discardConn) ReadFrom([]byte) (int, net.Addr, error)    { select {} }
func (discardConn) Close() error                              { return nil }
func (discardConn) LocalAddr() net.Addr                       { return &net.TCPAddr{} }
func (discardConn) RemoteAddr() net.Addr                      { return &net.TCPAddr{} }
func (discardConn) SetDeadline(time.Time) error               { return nil }
func (discardConn) SetReadDeadline(time.Time) error           { return nil }
func (discardConn) SetWriteDeadline(time.Time) error          { return nil }

// BenchmarkShapedWrite is the CPU a link adds to one frame write: the
// model decision for each segment, the queueing and the flush that writes
// it out, on virtual time (no real timers).
func BenchmarkShapedWrite(b *testing.B) {
	fk := clock.NewFake(clock.Epoch())
	l, _ := New(Options{Clock: fk, Seed: 1, Device: "bench", Profile: benchProfile})
	nc, _ := l.wrapConn(discardConn{})
	frame := make([]byte, frameBytes)
	b.SetBytes(frameBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nc.Write(frame)
		fk.Advance(time.Second / 15)
	}
}

// BenchmarkDatagram is one RTP-sized datagram through the full stage
// pipeline and the flush.
func BenchmarkDatagram(b *testing.B) {
	fk := clock.NewFake(clock.Epoch())
	l, _ := New(Options{Clock: fk, Seed: 1, Device: "bench", Profile: benchProfile})
	pc, _ := l.wrapPacket(discardConn{}, nil)
	pkt := make([]byte, 1200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pc.(*PacketConn).WriteTo(pkt, nil)
		fk.Advance(time.Second / 50)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFleet runs 5,000 links on the real clock, each carrying a
// 512 kbps stream as 15 frame writes per second, for two seconds per
// iteration, and reports the process CPU per write (model, queueing and
// the real-clock timer that flushes), the share of two cores that 5,000
// such links need in real time, and the heap per link with one open
// connection. Run it with -benchtime=1x.
// Sub-benchmarks: on Real (a runtime timer and a goroutine per flush) and
// on clock.Batched (sharded heaps, flushes run in the shard workers).
//
// The batched quantum variants show what a coarser write granularity saves
// (fewer flushes, larger real writes); it delays each write to the real
// socket by up to the quantum (on average half of it), which latency
// figures then include.
func BenchmarkFleet(b *testing.B) {
	b.Run("real", func(b *testing.B) { benchFleet(b, clock.NewReal(), DefaultQuantum) })
	for _, q := range []time.Duration{DefaultQuantum, 5 * time.Millisecond, 20 * time.Millisecond} {
		name := "batched"
		if q != DefaultQuantum {
			name += "/quantum=" + q.String()
		}
		b.Run(name, func(b *testing.B) {
			clk := clock.NewBatched(clock.BatchedConfig{})
			defer clk.Close()
			benchFleet(b, clk, q)
		})
	}
}

func benchFleet(b *testing.B, clk clock.Clock, quantum time.Duration) {
	const links = 5000
	const seconds = 2
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	conns := make([]net.Conn, links)
	ls := make([]*Link, links)
	for i := range conns {
		l, err := New(Options{Clock: clk, Seed: 1, Device: "cam-" + itoa(i), Profile: benchProfile, Quantum: quantum})
		if err != nil {
			b.Fatal(err)
		}
		ls[i] = l
		conns[i], _ = l.wrapConn(discardConn{})
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	perLink := float64(m1.HeapAlloc-m0.HeapAlloc) / links
	frame := make([]byte, frameBytes)
	b.ResetTimer()
	writes := 0
	cpu0 := cpuTime()
	for it := 0; it < b.N; it++ {
		tick := time.NewTicker(time.Second / 15)
		for f := 0; f < 15*seconds; f++ {
			<-tick.C
			var wg sync.WaitGroup
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < links; i += 2 {
						conns[i].Write(frame)
					}
				}(w)
			}
			wg.Wait()
			writes += links
		}
		tick.Stop()
	}
	time.Sleep(200 * time.Millisecond) // let the last flushes run
	cpu := cpuTime() - cpu0
	b.StopTimer()
	for _, l := range ls {
		l.Close()
	}
	perWrite := cpu.Seconds() / float64(writes)
	b.ReportMetric(perWrite*1e6, "cpu-µs/write")
	// The wall clock of a shared machine stretches; the projection from
	// CPU per write does not: 5,000 links × 15 writes/s on two cores.
	b.ReportMetric(perWrite*links*15/2*100, "%-of-2-cores")
	b.ReportMetric(perLink, "heap-B/link")
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
