package report

import (
	"io"
	"math"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

const (
	benchDevices = 10_000
	benchGroups  = 10
)

func benchInfo() RunInfo {
	ri := RunInfo{Scenario: "bench"}
	for g := 0; g < benchGroups; g++ {
		grp := Group{Name: "group-" + strconv.Itoa(g)}
		for d := g; d < benchDevices; d += benchGroups {
			grp.Devices = append(grp.Devices, d)
		}
		ri.Groups = append(ri.Groups, grp)
	}
	return ri
}

// latencies is a precomputed lognormal latency table (no rng in the loop).
func latencies(n int) []time.Duration {
	r := rng.New(1, "bench")
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(150 * math.Exp(0.5*r.NormFloat64()) * float64(time.Millisecond))
	}
	return out
}

// BenchmarkObserve is the per-observation cost: each op is one observation
// of the per-frame pair FrameSent + FrameDelivered, from as many goroutines
// as GOMAXPROCS, over 10,000 devices in 10 groups.
func BenchmarkObserve(b *testing.B) {
	acc, err := NewAccumulator(benchInfo(), clock.NewFake(clock.Epoch()), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	lat := latencies(4096)
	var worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := ProcessStats().CPUSeconds
	defer func() {
		// CPU time per op: robust on a loaded machine, where wall time is not.
		b.ReportMetric((ProcessStats().CPUSeconds-cpu0)*1e9/float64(b.N), "cpu-ns/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		w := int(worker.Add(1))
		d := w * 7919 % benchDevices
		seq := uint64(0)
		i := 0
		for pb.Next() {
			if i&1 == 0 {
				seq++
				acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: d, Seq: seq, Size: 4000})
			} else {
				acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: d, Seq: seq, Size: 4000, Value: lat[int(seq)&4095]})
				d++
				if d == benchDevices {
					d = 0
				}
			}
			i++
		}
	})
}

// BenchmarkObserveSerial is the same stream from one goroutine.
func BenchmarkObserveSerial(b *testing.B) {
	acc, err := NewAccumulator(benchInfo(), clock.NewFake(clock.Epoch()), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	lat := latencies(4096)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := ProcessStats().CPUSeconds
	d, seq := 0, uint64(1)
	for i := 0; i < b.N; i++ {
		if i&1 == 0 {
			acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: d, Seq: seq, Size: 4000})
			continue
		}
		acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: d, Seq: seq, Size: 4000, Value: lat[int(seq)&4095]})
		if d++; d == benchDevices {
			d, seq = 0, seq+1
		}
	}
	b.ReportMetric((ProcessStats().CPUSeconds-cpu0)*1e9/float64(b.N), "cpu-ns/op")
}

// BenchmarkCloseWindow is the cost of one 10 s window close (all counters,
// histogram deltas, the results line) with 10 groups of data.
func BenchmarkCloseWindow(b *testing.B) {
	clk := clock.NewFake(clock.Epoch())
	acc, err := NewAccumulator(benchInfo(), clk, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	lat := latencies(4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for d := 0; d < benchDevices; d++ {
			acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: d, Seq: uint64(i + 1)})
			acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: d, Seq: uint64(i + 1), Value: lat[d&4095]})
		}
		clk.Advance(DefaultWindow)
		b.StartTimer()
		if err := acc.CloseWindow(); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestMemoryTenThousandDevicesOneHour feeds the accumulator a stream that has
// everything that takes memory in a 10,000-device, 1-hour run: 10,000 devices
// in 10 groups, 360 windows of 10 s, every device sending and delivering in
// every window with lognormal latencies (so every histogram bucket a real run
// fills gets filled), events, slices, reasons and reconnects. Frame counts
// only move counters, so the 540 M frames of a real hour at 15 fps need no
// more memory than the 3 frames per device and window fed here. The figure
// must stay under 200 MB.
func TestMemoryTenThousandDevicesOneHour(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement feeds 22 M observations")
	}
	before := heapInUse()
	clk := clock.NewFake(clock.Epoch())
	var results countingWriter
	acc, err := NewAccumulator(benchInfo(), clk, &results)
	if err != nil {
		t.Fatal(err)
	}
	lat := latencies(1 << 16)
	const windows, framesPerWindow = 360, 3
	var peak uint64
	k := 0
	for w := 0; w < windows; w++ {
		for f := 0; f < framesPerWindow; f++ {
			for d := 0; d < benchDevices; d++ {
				seq := uint64(w*framesPerWindow + f + 1)
				acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: d, Seq: seq, Size: 4000})
				if k%997 == 0 {
					acc.Observe(observe.Observation{Kind: observe.FrameLost, Device: d, Seq: seq, Reason: observe.ReasonConnReset})
				} else {
					acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: d, Seq: seq, Size: 4000, Value: lat[k&(1<<16-1)]})
				}
				if k%5003 == 0 {
					acc.Observe(observe.Observation{Kind: observe.EventStarted, Device: d})
					acc.Observe(observe.Observation{Kind: observe.EventFirstFrame, Device: d, Value: lat[(k+7)&(1<<16-1)] * 3})
					acc.Observe(observe.Observation{Kind: observe.EventReported, Device: d, OK: true})
					acc.Observe(observe.Observation{Kind: observe.SliceCut, Device: d, Size: 600000})
					acc.Observe(observe.Observation{Kind: observe.SliceUploaded, Device: d, Value: lat[(k+3)&(1<<16-1)] * 5})
					acc.Observe(observe.Observation{Kind: observe.Reconnect, Device: d})
				}
				if d%64 == 0 {
					acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: d, Value: lat[k&(1<<16-1)] / 100})
				}
				k++
			}
		}
		clk.Advance(DefaultWindow)
		if err := acc.CloseWindow(); err != nil {
			t.Fatal(err)
		}
		if w%60 == 59 {
			peak = max(peak, heapInUse())
		}
	}
	rep, err := acc.Finish(FinishInfo{})
	if err != nil {
		t.Fatal(err)
	}
	peak = max(peak, heapInUse())
	used := float64(peak-before) / (1 << 20)
	t.Logf("10,000 devices, 10 groups, 360 windows, %d observations: heap in use %.1f MB (peak of samples); results.jsonl %.1f MB", k*2, used, float64(results.n)/(1<<20))
	if used > 200 {
		t.Errorf("accumulator uses %.1f MB, want < 200 MB", used)
	}
	if rep.Frames.Sent != benchDevices*windows*framesPerWindow || len(rep.Timeline) != windows {
		t.Fatalf("sent %d windows %d", rep.Frames.Sent, len(rep.Timeline))
	}
	runtime.KeepAlive(acc)
}
