package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/procs"
)

// procsFlag registers --procs on fs.
func procsFlag(fs *flag.FlagSet) *string {
	return fs.String("procs", "auto", "cores (GOMAXPROCS) the run may use: auto (as few as its CPU use needs, up to all; sim/procs) or a number; the GOMAXPROCS environment variable is used when this flag is not given")
}

// hugePagesFlag registers --huge-pages on fs.
func hugePagesFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("huge-pages", false, "ask Linux to back the Go heap with transparent huge pages (madvise, and collapse what the heap touched before) while the run lasts: fewer TLB misses on a large fleet's state, but collapsing and compacting stall the whole process for milliseconds (sim/procs.HugePages); off by default; no effect where the system disables them")
}

// procsPlan is how a run sizes the Go scheduler: a fixed GOMAXPROCS or a
// controller that follows the load; whether the heap is advised onto huge
// pages; and the heap budget the collector's target follows, if any.
type procsPlan struct {
	ctl    *procs.Controller // nil: fixed
	shards int               // clock workers for the run (0: GOMAXPROCS)
	huge   bool
	heap   *procs.HeapBudget // nil: GOGC stays as set
}

// planProcs reads --procs: the flag when given, else GOMAXPROCS from the
// environment when set (the runtime applied it already: fixed), else auto.
func planProcs(fs *flag.FlagSet, val string, getenv func(string) string) (procsPlan, error) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "procs" })
	if !given && getenv("GOMAXPROCS") != "" {
		return procsPlan{}, nil
	}
	if val == "auto" {
		ctl := procs.New(clock.NewReal(), procs.Config{})
		return procsPlan{ctl: ctl, shards: ctl.Max()}, nil
	}
	n, err := strconv.Atoi(val)
	if err != nil || n <= 0 {
		return procsPlan{}, fmt.Errorf("--procs %q: expected auto or a positive number", val)
	}
	runtime.GOMAXPROCS(n)
	return procsPlan{}, nil
}

// peak is the runner's ProcsPeak: nil (GOMAXPROCS) unless a controller runs.
func (p procsPlan) peak() func() int {
	if p.ctl == nil {
		return nil
	}
	return p.ctl.Peak
}

// start runs the controller, if any, until the returned stop is called.
func (p procsPlan) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if p.ctl != nil {
		wg.Go(func() { p.ctl.Run(ctx) })
	}
	if p.huge {
		wg.Go(func() { procs.HugePages(ctx, clock.NewReal(), hugePagesEvery) })
	}
	if p.heap != nil {
		wg.Go(func() { p.heap.Run(ctx, clock.NewReal()) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// hugePagesEvery is how often the heap's new mappings are advised: the heap
// maps a 64 MiB arena at a time as it grows.
const hugePagesEvery = 250 * time.Millisecond
