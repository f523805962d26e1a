package push

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPushCameraSecond: one op is one camera-second of the quickstart
// profile (512 kbps H.264 15 fps + 32 kbps AAC 16 kHz: 15 video and ~16
// audio frames) through SendFrame, the sender goroutine and RTMP chunking
// to a media/rtmp server over loopback TCP, which reads and discards it.
// cpu-ns/op is the process's CPU time (the SDK, the kernel's loopback and
// the in-process server together), allocs/op the SDK's and server's heap.
func BenchmarkPushCameraSecond(b *testing.B) {
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	srv := newServer(rtmp.NopHandler{}, clk)
	defer srv.close()
	sh := quickstart(b, av.H264)
	fs := frames(b, sh, 1, 1, 10*time.Second)
	s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(1, 1)), Sink: observe.Discard{}, Dial: srv.dial}, Options{AudioConfig: sh.AudioConfig})
	if err := s.Initialize(units.MiB, 2); err != nil {
		b.Fatal(err)
	}
	defer s.Uninitialize()
	cbs := &callbacks{}
	id, err := s.Connect("rtmp://cloud.test/live/cam-0001", "", cbs.cb)
	if err != nil {
		b.Fatal(err)
	}
	waitFor(b, "connect", func() bool { return cbs.has(EventConnectSuccess) })
	perSecond := len(fs) / 10
	next := 0
	// frames are copied into a ring (the SDK holds them until written; each
	// op waits until everything was written) so the loop itself allocates
	// nothing
	ring := make([]av.Frame, 2*perSecond)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for k := 0; k < perSecond; k++ {
			f := &ring[next%len(ring)]
			*f = *fs[next%len(fs)]
			// keep media time running across laps
			lap := time.Duration(next/len(fs)) * 10 * time.Second
			f.PTS += lap
			f.DTS += lap
			if err := s.SendFrame(id, f); err != nil && err != ErrWaitIDR {
				b.Fatal(err)
			}
			next++
		}
		for s.Busy() {
			time.Sleep(20 * time.Microsecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if cbs.has(EventPause) {
		b.Log("flow control paused during the benchmark")
	}
}
