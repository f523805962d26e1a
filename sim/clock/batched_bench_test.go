package clock

import (
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Benchmarks of Batched against Real (time.AfterFunc). Reproduce with
//
//	go test -run '^$' -bench . -benchmem -benchtime 1s ./sim/clock/

type clockCase struct {
	name string
	make func() (Clock, func())
}

var clockCases = []clockCase{
	{"real", func() (Clock, func()) { return NewReal(), func() {} }},
	{"batched", func() (Clock, func()) { b := NewBatched(BatchedConfig{}); return b, b.Close }},
}

// Arming and stopping a timer (a link re-arming its flush, a source its frame).
func BenchmarkArmStop(b *testing.B) {
	for _, cc := range clockCases {
		b.Run(cc.name, func(b *testing.B) {
			c, done := cc.make()
			defer done()
			f := func() {}
			tm := c.AfterFunc(time.Hour, f)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tm.Reset(time.Hour + time.Duration(i&1023)*time.Microsecond)
			}
			tm.Stop()
		})
	}
}

// New AfterFunc timers, as the source made one per frame before it re-armed
// a single timer.
func BenchmarkAfterFuncNew(b *testing.B) {
	for _, cc := range clockCases {
		b.Run(cc.name, func(b *testing.B) {
			c, done := cc.make()
			defer done()
			f := func() {}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.AfterFunc(time.Hour, f).Stop()
			}
		})
	}
}

// Fire throughput: 5,000 owners each re-arming its timer from its callback
// as fast as the clock fires them; ns/op is per fire, cpu-ns/fire the
// process CPU per fire (both cores).
func BenchmarkFireThroughput(b *testing.B) {
	for _, cc := range clockCases {
		b.Run(cc.name, func(b *testing.B) {
			c, done := cc.make()
			defer done()
			const owners = 5000
			var left atomic.Int64
			left.Store(int64(b.N))
			finished := make(chan struct{})
			var once sync.Once
			timers := make([]Timer, owners)
			var mu sync.Mutex // timers[i] is assigned after AfterFunc returns
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			mu.Lock()
			for i := range timers {
				i := i
				timers[i] = c.AfterFunc(0, func() {
					if left.Add(-1) <= 0 {
						once.Do(func() { close(finished) })
						return
					}
					mu.Lock()
					t := timers[i]
					mu.Unlock()
					t.Reset(0)
				})
			}
			mu.Unlock()
			<-finished
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/fire")
			for _, t := range timers {
				t.Stop()
			}
		})
	}
}

// The fleet's load: 5,000 cameras each firing a timer every 33⅓ ms
// (150,000 fires a second: 15 fps video + 15.6 fps AAC per camera, as the
// media source does), each callback re-arming for its next frame. ns/op is
// set by the schedule; cpu-ns/fire is the process CPU per fire and lag-µs
// p50/p99 how late fires ran against their deadline.
func BenchmarkRate150k(b *testing.B) {
	for _, cc := range clockCases {
		b.Run(cc.name, func(b *testing.B) {
			c, done := cc.make()
			defer done()
			const owners = 5000
			const period = time.Second / 30
			var left atomic.Int64
			left.Store(int64(b.N))
			finished := make(chan struct{})
			var once sync.Once
			lags := make([][]time.Duration, owners)
			var wg sync.WaitGroup
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < owners; i++ {
				i := i
				wg.Add(1)
				// owners start spread over one period
				next := start.Add(period + time.Duration(i)*period/owners)
				var tm Timer
				var mu sync.Mutex
				var tick func()
				tick = func() {
					now := time.Now()
					mu.Lock()
					lags[i] = append(lags[i], now.Sub(next))
					next = next.Add(period)
					if left.Add(-1) <= 0 {
						mu.Unlock()
						once.Do(func() { close(finished) })
						wg.Done()
						return
					}
					tm.Reset(next.Sub(now))
					mu.Unlock()
				}
				mu.Lock()
				tm = c.AfterFunc(next.Sub(start), tick)
				mu.Unlock()
				go func() {
					<-finished
					mu.Lock()
					stopped := tm.Stop()
					mu.Unlock()
					if stopped {
						wg.Done()
					}
				}()
			}
			<-finished
			b.StopTimer()
			cpu := processCPU() - cpu0
			wg.Wait()
			var all []time.Duration
			for _, l := range lags {
				all = append(all, l...)
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			if len(all) > 0 {
				b.ReportMetric(float64(all[len(all)/2])/1e3, "lag-µs-p50")
				b.ReportMetric(float64(all[len(all)*99/100])/1e3, "lag-µs-p99")
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/fire")
		})
	}
}

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The heap alone: a shard holding 15,000 armed timers (5,000 cameras'
// frame, flush and SDK timers) pops the earliest and re-arms it a frame
// period or so later, as a fire does; no workers, no clock reads. In a
// fleet each timer sits among its camera's other state, cold in cache:
// "cold" spreads the timers 4 KiB apart (60 MB), "packed" allocates them
// side by side.
func BenchmarkShardHeapChurn(b *testing.B) {
	for _, cold := range []bool{false, true} {
		name := "packed"
		if cold {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			const timers = 15000
			s := &shard{timerStore: timerStore{res: int64(time.Millisecond)}}
			r := rand.New(rand.NewPCG(1, 2))
			for _, t := range benchTimers(timers, cold) {
				t.when = r.Int64N(int64(time.Second / 15))
				s.push(t)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t := s.peek()
				s.pop()
				t.when += int64(time.Second/15) + r.Int64N(int64(time.Millisecond))
				s.push(t)
			}
		})
	}
}

// benchTimers makes n timers, each in its own 4 KiB when cold.
func benchTimers(n int, cold bool) []*batchedTimer {
	type padded struct {
		t batchedTimer
		_ [4096]byte
	}
	out := make([]*batchedTimer, n)
	for i := range out {
		if cold {
			out[i] = &(&padded{}).t
		} else {
			out[i] = &batchedTimer{}
		}
	}
	return out
}

// The heap when timers are re-armed while pending (a link's flush timer
// moved earlier, a deadline pushed back): every other operation re-arms a
// random armed timer, which leaves a stale entry behind, and the other
// pops the earliest and re-arms it.
func BenchmarkShardHeapReset(b *testing.B) {
	const timers = 15000
	s := &shard{timerStore: timerStore{res: int64(time.Millisecond)}}
	r := rand.New(rand.NewPCG(1, 2))
	all := benchTimers(timers, true)
	for _, t := range all {
		t.when = r.Int64N(int64(time.Second / 15))
		s.push(t)
	}
	now := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		var t *batchedTimer
		if i%2 == 0 {
			t = s.peek()
			now = t.when
			s.pop()
		} else {
			t = all[r.IntN(timers)]
			s.remove(t)
		}
		t.when = now + int64(time.Second/15) + r.Int64N(int64(time.Millisecond))
		s.push(t)
	}
	if s.live != timers {
		b.Fatalf("%d armed, want %d", s.live, timers)
	}
}
