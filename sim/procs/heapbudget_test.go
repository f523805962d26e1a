package procs

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/sim/clock"
)

const mib = 1 << 20

func TestPercentFor(t *testing.T) {
	cases := []struct {
		name        string
		budget      int64
		s           HeapStats
		floor, ceil int
		want        int
	}{
		// goal = (budget-nonheap)·10/11 = live + (live+stacks+globals)·p/100
		{"heap well under the budget", 1155 * mib, HeapStats{Live: 200 * mib, Stacks: 40 * mib, Globals: 10 * mib, NonHeap: 55 * mib}, 150, 10000, 320},
		{"live heap near the budget: the floor", 1100 * mib, HeapStats{Live: 500 * mib}, 150, 10000, 150},
		{"live heap over the budget: the floor", 1100 * mib, HeapStats{Live: 1200 * mib}, 100, 10000, 100},
		{"runtime memory over the budget: the floor", 100 * mib, HeapStats{Live: 10 * mib, NonHeap: 200 * mib}, 150, 10000, 150},
		{"tiny heap: the ceiling", 11000 * mib, HeapStats{Live: 4 * mib}, 150, 10000, 10000},
		{"nothing read yet: the ceiling", 1100 * mib, HeapStats{}, 150, 800, 800},
		// the runtime's minimum goal, 4 MiB·GOGC/100, stays within the budget
		{"tiny heap", 1100 * mib, HeapStats{Live: 4 * mib}, 150, 100000, 24900},
		{"nothing read yet: the minimum goal", 1100 * mib, HeapStats{}, 150, 100000, 25000},
		{"minimum goal under the floor: the floor", 4*mib + 4*mib/10, HeapStats{}, 150, 10000, 150},
		{"exactly the floor's goal", 275 * mib, HeapStats{Live: 100 * mib}, 150, 10000, 150},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := percentFor(c.budget, c.s, c.floor, c.ceil); got != c.want {
				t.Errorf("percentFor = %d, want %d", got, c.want)
			}
		})
	}
}

// TestHeapBudgetRun: GOGC is set at once, again after each collection (not
// on ticks without one), and the one found is put back at the end.
func TestHeapBudgetRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := clock.NewFake(clock.Epoch())
	var mu sync.Mutex
	stats := HeapStats{Cycles: 3, Live: 10 * mib}
	sets := make(chan int, 16)
	b := HeapBudget{Budget: 1100 * mib, // a heap goal of 1000 MiB
		Floor: 150, Interval: 100 * time.Millisecond,
		Read: func() HeapStats { mu.Lock(); defer mu.Unlock(); return stats },
		Set:  func(p int) int { sets <- p; return 77 }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx, clk); close(done) }()
	expect := func(want int) {
		t.Helper()
		select {
		case got := <-sets:
			if got != want {
				t.Fatalf("GOGC set to %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("GOGC not set to %d", want)
		}
	}
	expect(9900) // (1000-10)/10·100 (the minimum goal 4 MiB·99 stays within 1000 MiB)
	waitTicker(t, clk)
	mu.Lock()
	stats.Live = 400 * mib // grows, but no collection has measured it
	mu.Unlock()
	clk.Advance(100 * time.Millisecond)
	mu.Lock()
	stats.Cycles++
	mu.Unlock()
	clk.Advance(100 * time.Millisecond)
	expect(150) // (1000-400)/400 = 150
	mu.Lock()
	stats.Cycles++
	stats.Live = 300 * mib
	mu.Unlock()
	clk.Advance(100 * time.Millisecond)
	expect(233)
	cancel()
	<-done
	expect(77) // the GOGC found at the start
	select {
	case p := <-sets:
		t.Fatalf("GOGC set to %d on a tick without a collection", p)
	default:
	}
}

// TestHeapBudgetSetsTheRuntime runs the real Read and Set: the runtime's
// GOGC follows the budget while Run runs and is put back after.
func TestHeapBudgetSetsTheRuntime(t *testing.T) {
	defer goleak.VerifyNone(t)
	defer debug.SetGCPercent(debug.SetGCPercent(120))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		HeapBudget{Budget: 1 << 40, Floor: 120, Ceil: 5000}.Run(ctx, clock.NewReal())
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := gogc()
		if p == 5000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d, want the ceiling 5000 for a 1 TiB budget", p)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if p := gogc(); p != 120 {
		t.Errorf("GOGC %d after Run, want 120 put back", p)
	}
}

// gogc reads the runtime's GOGC without setting it.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

func TestMemAvailable(t *testing.T) {
	cases := []struct {
		name, in string
		want     int64
	}{
		{"meminfo", "MemTotal:       24590104 kB\nMemFree:        20001000 kB\nMemAvailable:   22517764 kB\nBuffers: 1 kB\n", 22517764 << 10},
		{"missing", "MemTotal:       24590104 kB\n", 0},
		{"no unit", "MemAvailable: 12\n", 0},
		{"not a number", "MemAvailable: lots kB\n", 0},
		{"negative", "MemAvailable: -5 kB\n", 0},
		{"empty", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := memAvailable(strings.NewReader(c.in)); got != c.want {
				t.Errorf("memAvailable = %d, want %d", got, c.want)
			}
		})
	}
	if MemAvailable() < 0 {
		t.Error("MemAvailable negative")
	}
}
