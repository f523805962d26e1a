package procs

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// HeapBudget lets the Go heap grow until the process would reach a
// memory budget before the collector runs, instead of to a fixed multiple
// of the live heap (GOGC).
//
// A fleet's live heap is steady once its cameras are up, and each
// collection costs the generator: at 5,000 cameras on the 2-core bench
// machine a mark phase takes about half a second, with a quarter of the
// CPU and write barriers on every pointer store, and the frames due
// meanwhile are late (in the 10 s report windows without a collection no
// frame was more than 10 ms late; in those with one, 1.6–2.5 %). A fixed
// GOGC also collects often while the fleet ramps up and its heap is small,
// which is when every camera connects. HeapBudget sets GOGC after each
// collection so that the next one starts when the heap reaches what the
// budget leaves for it, and never below Floor (the run's --gc-percent),
// so that a live heap near the budget costs no more collections than GOGC
// Floor would.
type HeapBudget struct {
	// Budget is the memory to aim for, bytes: the heap at its goal, the
	// free heap pages the runtime keeps around it (10 % of the goal) and
	// the runtime's other memory (goroutine stacks, metadata) together.
	Budget int64
	// Floor and Ceil bound the GOGC it sets (defaults 100 and 1,000,000:
	// the budget and the minimum heap goal bound it well before).
	Floor, Ceil int
	// Interval is how often it looks for a finished collection (100 ms).
	Interval time.Duration
	// Read reads the collector's state; default runtime/metrics.
	Read func() HeapStats
	// Set sets GOGC and returns the previous value; default
	// debug.SetGCPercent.
	Set func(int) int
}

// HeapStats is what HeapBudget reads after a collection: the count of
// finished cycles, what the next goal is computed from (the runtime's goal
// is Live + (Live + Stacks + Globals) × GOGC/100) and the runtime's memory
// that is not heap pages (stacks, metadata, the rest).
type HeapStats struct {
	Cycles                uint64
	Live, Stacks, Globals int64
	NonHeap               int64
}

// heapGoal is the heap goal a budget leaves: the scavenger keeps free heap
// pages up to 10 % over the goal resident, and the runtime's other memory
// comes on top.
func heapGoal(budget int64, s HeapStats) int64 {
	return (budget - s.NonHeap) * 10 / 11
}

// minHeap is the runtime's smallest heap goal at GOGC 100; it scales with
// GOGC (runtime heapMinimum).
const minHeap = 4 << 20

// percentFor is the GOGC that puts the next heap goal where budget leaves
// it, within [floor, ceil]. Above the floor it is also held to where the
// runtime's minimum heap goal (4 MiB × GOGC/100, which a small live heap,
// as before the first collection, would leave in force) stays within the
// budget.
func percentFor(budget int64, s HeapStats, floor, ceil int) int {
	goal := heapGoal(budget, s)
	p := int64(ceil)
	if base := s.Live + s.Stacks + s.Globals; base > 0 {
		p = min(p, (goal-s.Live)*100/base)
	}
	p = min(p, goal*100/minHeap)
	return int(max(p, int64(floor)))
}

// Run sets GOGC at once and after every collection until ctx ends, then
// puts back the GOGC it found.
func (b HeapBudget) Run(ctx context.Context, clk clock.Clock) {
	if b.Floor <= 0 {
		b.Floor = 100
	}
	if b.Ceil <= 0 {
		b.Ceil = 1000000
	}
	b.Ceil = max(b.Ceil, b.Floor)
	if b.Interval <= 0 {
		b.Interval = 100 * time.Millisecond
	}
	if b.Read == nil {
		b.Read = readHeapStats
	}
	if b.Set == nil {
		b.Set = debug.SetGCPercent
	}
	s := b.Read()
	prev := b.Set(percentFor(b.Budget, s, b.Floor, b.Ceil))
	defer b.Set(prev)
	seen := s.Cycles
	tk := clk.NewTicker(b.Interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C():
		}
		if s = b.Read(); s.Cycles != seen {
			seen = s.Cycles
			b.Set(percentFor(b.Budget, s, b.Floor, b.Ceil))
		}
	}
}

// readHeapStats reads HeapStats from runtime/metrics.
func readHeapStats() HeapStats {
	samples := [...]metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(samples[:])
	get := func(i int) int64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(samples[i].Value.Uint64())
	}
	return HeapStats{Cycles: uint64(get(0)), Live: get(1), Stacks: get(2), Globals: get(3),
		NonHeap: max(0, get(4)-get(5)-get(6)-get(7)-get(8))}
}

// MemAvailable is the kernel's estimate of the memory available to new
// work (MemAvailable in /proc/meminfo), bytes; 0 when unknown.
func MemAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	return memAvailable(f)
}

func memAvailable(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemAvailable:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			return 0
		}
		return kb << 10
	}
	return 0
}
