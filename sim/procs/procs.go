// Package procs fits the Go runtime to a run's load. The Controller keeps
// GOMAXPROCS as low as the process's CPU use allows and raises it as soon as
// the process needs more; HugePages keeps the heap on transparent huge
// pages.
//
// A fleet generator wakes thousands of times a second for a few
// microseconds each (frame timers, link flushes, socket writes). With more
// Ps than the load needs, every wake-up also wakes an idle thread that spins
// looking for work and goes back to sleep, and the work moves between cores
// with its cache lines. Measured on the 2-core bench machine (make bench
// scenarios, same binary, GOMAXPROCS 1 against 2):
//
//	push to nginx-rtmp,  50 cameras: 1,040 µs vs 1,220 µs CPU per camera-second
//	push to nginx-rtmp, 200 cameras:   605 µs vs   795 µs
//	embedded cloud,   1,000 cameras:   490 µs vs   604 µs, lag p99 1.8 ms both
//
// The Controller starts at Min and adds a P when the process used at least
// Up of its Ps' capacity over one Interval (a saturated P shows as 100 %),
// so a growing fleet gets its second core within an interval of needing it;
// it gives one back only after a whole Hold in which the fewer Ps would have
// been at most Down busy.
package procs

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// Config tunes a Controller; the zero value is the default policy.
type Config struct {
	// Min and Max bound GOMAXPROCS (defaults 1 and the runtime's
	// GOMAXPROCS when the Controller is made: CPUs, or the cgroup's limit).
	Min, Max int
	// Interval is how often the process's CPU time is sampled (250 ms).
	Interval time.Duration
	// Up is the busy share of the current Ps over one interval at which
	// one is added (0.7).
	Up float64
	// Down is the busy share of one P fewer that every interval of Hold
	// must stay under before one is removed (0.5); Hold defaults to 10 s.
	Down float64
	Hold time.Duration
	// CPU reads the process's CPU time (user + system); default getrusage.
	CPU func() time.Duration
	// Set sets GOMAXPROCS and returns the previous value; default
	// runtime.GOMAXPROCS.
	Set func(int) int
}

// Controller adjusts GOMAXPROCS to the load while Run runs.
type Controller struct {
	cfg  Config
	clk  clock.Clock
	cur  int
	peak atomic.Int64
	// busy shares (CPU time over wall time, in cores) of the intervals
	// of the last Hold, newest last
	hist []float64
}

// New makes a Controller; Run starts it.
func New(clk clock.Clock, cfg Config) *Controller {
	if cfg.Max <= 0 {
		cfg.Max = runtime.GOMAXPROCS(0)
	}
	if cfg.Min <= 0 {
		cfg.Min = 1
	}
	cfg.Min = min(cfg.Min, cfg.Max)
	if cfg.Interval <= 0 {
		cfg.Interval = 250 * time.Millisecond
	}
	if cfg.Up <= 0 {
		cfg.Up = 0.7
	}
	if cfg.Down <= 0 {
		cfg.Down = 0.5
	}
	if cfg.Hold <= 0 {
		cfg.Hold = 10 * time.Second
	}
	if cfg.CPU == nil {
		cfg.CPU = processCPU
	}
	if cfg.Set == nil {
		cfg.Set = runtime.GOMAXPROCS
	}
	return &Controller{cfg: cfg, clk: clk}
}

// Max is the most Ps the controller will use: size per-P structures (clock
// shards) by it.
func (c *Controller) Max() int { return c.cfg.Max }

// Peak is the most Ps used so far (safe to call while Run runs).
func (c *Controller) Peak() int { return int(c.peak.Load()) }

// Run sets GOMAXPROCS to Min and adjusts it every Interval until ctx ends;
// it then restores Max.
func (c *Controller) Run(ctx context.Context) {
	c.set(c.cfg.Min)
	defer c.cfg.Set(c.cfg.Max)
	// the first sample is taken before the ticker is armed: CPU used after
	// the ticker exists counts in its first interval
	lastT, lastCPU := c.clk.Now(), c.cfg.CPU()
	tk := c.clk.NewTicker(c.cfg.Interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C():
		}
		now, cpu := c.clk.Now(), c.cfg.CPU()
		if wall := now.Sub(lastT); wall > 0 {
			if n := c.decide(float64(cpu-lastCPU) / float64(wall)); n != c.cur {
				c.set(n)
			}
		}
		lastT, lastCPU = now, cpu
	}
}

func (c *Controller) set(n int) {
	c.cfg.Set(n)
	c.cur = n
	if int64(n) > c.peak.Load() {
		c.peak.Store(int64(n)) // only Run writes it
	}
	c.hist = c.hist[:0] // a new count starts its hold afresh
}

// decide takes the busy share (cores) of the interval that just ended and
// returns the Ps to use next.
func (c *Controller) decide(busy float64) int {
	if busy >= c.cfg.Up*float64(c.cur) && c.cur < c.cfg.Max {
		return c.cur + 1
	}
	keep := int(c.cfg.Hold / c.cfg.Interval)
	c.hist = append(c.hist, busy)
	if len(c.hist) > keep {
		c.hist = c.hist[len(c.hist)-keep:]
	}
	if c.cur <= c.cfg.Min || len(c.hist) < keep {
		return c.cur
	}
	for _, b := range c.hist {
		if b > c.cfg.Down*float64(c.cur-1) {
			return c.cur
		}
	}
	return c.cur - 1
}

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
