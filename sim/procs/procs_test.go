package procs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"go.uber.org/goleak"
)

// The policy, interval by interval: busy is the process's CPU over the
// interval in cores, want the Ps the controller uses next.
func TestDecide(t *testing.T) {
	type step struct {
		busy float64
		want int
	}
	cases := []struct {
		name  string
		cfg   Config
		start int
		steps []step
	}{
		{"idle stays at one", Config{Max: 2}, 1, []step{{0.01, 1}, {0.2, 1}, {0.69, 1}}},
		{"saturated one P adds one", Config{Max: 2}, 1, []step{{0.3, 1}, {1.0, 2}}},
		{"at Up adds one", Config{Max: 4}, 2, []step{{1.4, 3}, {2.1, 4}}},
		{"never above Max", Config{Max: 2}, 2, []step{{2.0, 2}, {2.0, 2}}},
		// Hold 1 s of 250 ms intervals: four intervals under Down × (n−1)
		{"gives one back after a quiet hold", Config{Max: 2, Hold: time.Second}, 2,
			[]step{{0.4, 2}, {0.3, 2}, {0.5, 2}, {0.2, 1}, {0.1, 1}}},
		{"one busy interval restarts the hold", Config{Max: 2, Hold: time.Second}, 2,
			[]step{{0.4, 2}, {0.6, 2}, {0.3, 2}, {0.3, 2}, {0.3, 2}, {0.3, 1}}},
		{"never below Min", Config{Min: 2, Max: 4, Hold: time.Second}, 2,
			[]step{{0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}, {0, 2}}},
		{"a change restarts the hold", Config{Max: 3, Hold: time.Second}, 2,
			[]step{{0.1, 2}, {0.1, 2}, {0.1, 2}, {1.6, 3}, {0.1, 3}, {0.1, 3}, {0.1, 3}, {0.1, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(clock.NewFake(clock.Epoch()), tc.cfg)
			c.cur = tc.start
			for i, s := range tc.steps {
				got := c.decide(s.busy)
				if got != c.cur {
					c.cur = got
					c.hist = c.hist[:0]
				}
				if got != s.want {
					t.Fatalf("step %d (busy %.2f): %d Ps, want %d", i, s.busy, got, s.want)
				}
			}
		})
	}
}

// Run drives GOMAXPROCS through Set from the CPU it reads: down to Min at
// the start, up when the process is busy, Max again when it ends.
func TestRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := clock.NewFake(clock.Epoch())
	var mu sync.Mutex
	var cpu time.Duration
	sets := make(chan int, 16)
	c := New(clk, Config{Max: 2, Interval: 100 * time.Millisecond,
		CPU: func() time.Duration { mu.Lock(); defer mu.Unlock(); return cpu },
		Set: func(n int) int { sets <- n; return 0 }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	expect := func(want int) {
		t.Helper()
		select {
		case got := <-sets:
			if got != want {
				t.Fatalf("GOMAXPROCS set to %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("GOMAXPROCS not set to %d", want)
		}
	}
	expect(1)
	waitTicker(t, clk)
	// one busy interval: 90 ms of CPU in 100 ms
	mu.Lock()
	cpu += 90 * time.Millisecond
	mu.Unlock()
	clk.Advance(100 * time.Millisecond)
	expect(2)
	cancel()
	<-done
	expect(2) // Max restored
	if c.Peak() != 2 {
		t.Errorf("peak %d, want 2", c.Peak())
	}
}

// waitTicker waits until Run has armed its ticker.
func waitTicker(t *testing.T, clk *clock.Fake) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for clk.Pending() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("ticker never armed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestDefaults(t *testing.T) {
	c := New(clock.NewFake(clock.Epoch()), Config{Min: 8, Max: 3})
	if c.cfg.Min != 3 || c.Max() != 3 {
		t.Errorf("min %d max %d: Min must not exceed Max", c.cfg.Min, c.Max())
	}
	if processCPU() <= 0 {
		t.Error("process CPU time not read")
	}
}
