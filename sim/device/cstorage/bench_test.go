package cstorage

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// benchSDK is one full-time SDK on a fake clock against a fakecloud that
// stores slices without parsing them: the SDK's own cost.
func benchSDK(b *testing.B, mx Muxers, format cloudapi.Format) (*SDK, *clock.Fake) {
	clk := clock.NewFake(clock.Epoch())
	cloud := fakecloud.New(clk, fakecloud.Config{Bandwidth: 4 * units.Mbps})
	cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	s := New(Deps{Clock: clk, Storage: cloud, Sink: observe.Discard{}, Muxers: mx})
	cfg := DefaultConfig(dev, 7)
	cfg.Channels[0].Format = format
	if err := s.Init(cfg, Callbacks{}); err != nil {
		b.Fatal(err)
	}
	clk.Advance(100 * time.Millisecond)
	return s, clk
}

// BenchmarkCameraSecond: one op is one camera-second of 512 kbps 15 fps
// H.264 + 16 kHz AAC pushed through the SDK (slicing, muxing, uploading to
// the in-memory cloud, timers on the fake clock), generator included; see
// BenchmarkSourceOnly for the generator alone.
func BenchmarkCameraSecond(b *testing.B) {
	sh, ac := quickstart(b, av.H264)
	mx, err := MediaMuxers(av.H264, ac, sh.FrameInterval())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		mx     Muxers
		format cloudapi.Format
	}{
		{"framelist", nil, cloudapi.FormatTS},
		{"ts", mx, cloudapi.FormatTS},
		{"fmp4", mx, cloudapi.FormatFMP4},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, clk := benchSDK(b, c.mx, c.format)
			defer s.Close()
			src := newSource(clk.Now(), 30)
			if c.mx != nil {
				// the media muxers need real parameter sets
				src.sps, src.pps = sh.SPS, sh.PPS
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				until := time.Duration(i+1) * time.Second
				for f := src.next(until); f != nil; f = src.next(until) {
					clk.AdvanceTo(src.start.Add(f.PTS))
					if err := s.PushStream(0, f); err != nil {
						b.Fatal(err)
					}
				}
			}
			// process CPU (all threads, GC included) per camera-second: on a
			// shared machine wall time per op overstates it
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkSourceOnly(b *testing.B) {
	src := newSource(clock.Epoch(), 30)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		until := time.Duration(i+1) * time.Second
		for f := src.next(until); f != nil; f = src.next(until) {
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIdleSDK measures the heap of idle SDK instances (initialised,
// plan learned, no media): the per-device cost of a fleet at rest.
func BenchmarkIdleSDK(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		clk := clock.NewFake(clock.Epoch())
		cloud := fakecloud.New(clk, fakecloud.Config{})
		sdks := make([]*SDK, n)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for j := range sdks {
			d := fmt.Sprintf("cam-%05d", j)
			cloud.SetPlan(d, 0, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
			sdks[j] = New(Deps{Clock: clk, Storage: cloud, Sink: observe.Discard{}})
			if err := sdks[j].Init(DefaultConfig(d, j), Callbacks{}); err != nil {
				b.Fatal(err)
			}
		}
		clk.Advance(time.Second)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/idle-sdk")
		for _, s := range sdks {
			s.Close()
		}
	}
}

// BenchmarkActiveSDKs measures the heap of recording SDKs (full-time plan,
// 512 kbps + AAC, 30 s in, sharing one BodyPool, starts spread over 10 s):
// open slice, send buffer, the generator's frames they hold, and the bodies
// of uploads in progress, per device. The whole-slice body of an upload
// (~700 KB for 10 s) dominates: cloudapi.SliceUpload carries the slice as
// one []byte.
func BenchmarkActiveSDKs(b *testing.B) {
	const n = 200
	for i := 0; i < b.N; i++ {
		clk := clock.NewFake(clock.Epoch())
		cloud := fakecloud.New(clk, fakecloud.Config{Bandwidth: 4 * units.Mbps})
		pool := NewBodyPool()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sdks := make([]*SDK, n)
		srcs := make([]*source, n)
		for j := range sdks {
			d := fmt.Sprintf("cam-%05d", j)
			cloud.SetPlan(d, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
			sdks[j] = New(Deps{Clock: clk, Storage: cloud, Sink: observe.Discard{}, Bodies: pool})
			if err := sdks[j].Init(DefaultConfig(d, j), Callbacks{}); err != nil {
				b.Fatal(err)
			}
		}
		clk.Advance(100 * time.Millisecond)
		for j := range srcs {
			// devices start spread over a slice's duration, as a ramp does
			srcs[j] = newSource(clk.Now().Add(time.Duration(j)*10*time.Second/n), 30)
		}
		for tick := 0; tick < 3000; tick++ {
			clk.Advance(10 * time.Millisecond)
			for j, src := range srcs {
				until := clk.Now().Sub(src.start)
				for f := src.next(until); f != nil; f = src.next(until) {
					sdks[j].PushStream(0, f)
				}
			}
		}
		runtime.GC()
		runtime.GC() // the second empties the pool's victim cache: live bodies only
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/active-sdk")
		for _, s := range sdks {
			s.Close()
		}
	}
}
