package main

import (
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
)

// defaultGCPercent is the Go collector's target a run uses unless told
// otherwise. A fleet's live heap is steady (frames of the open slices,
// link queues, connections), so the runtime's default of 100 collects
// often for nothing: each mark phase takes a quarter of the CPU for about
// half a second at 3,000 cameras and shows as generator lag. Measured on
// the 2-core bench machine (bench/scenarios/embedded.yaml, 40 s runs):
//
//	3,000 cameras  GOGC 100: lag p99 13.6 ms, 46.7 s CPU, 221 KB RSS per camera
//	               GOGC 150: lag p99  8.0 ms, 42.0 s CPU, 270 KB
//	               GOGC 200: lag p99  5.1 ms, 41.3 s CPU, 315 KB
//	5,000 cameras  GOGC 150: lag p99 33 ms (108 ms at 100), 271 KB
//
// 150 keeps RSS under DESIGN.md §7's 300 KB per camera. With a memory
// budget (--memory-budget, on by default) it is the floor: the budget lets
// the heap grow further while the live heap is small against it.
const defaultGCPercent = 150

// gcPercentFlag registers --gc-percent on fs.
func gcPercentFlag(fs *flag.FlagSet) *int {
	return fs.Int("gc-percent", defaultGCPercent, "Go garbage collector target (GOGC) for the run, and the least the memory budget sets: higher is less CPU and generator lag for more memory; the GOGC environment variable is used when this flag is not given (the memory budget then stays off); negative: collector off")
}

// applyGCPercent sets the collector's target: the flag when given, else
// GOGC from the environment when set (the runtime read it already), else
// the flag's default. It reports whether it set it (false: the
// environment's GOGC stands, and the run leaves the collector alone).
func applyGCPercent(fs *flag.FlagSet, pct int, getenv func(string) string) (bool, error) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "gc-percent" })
	if !given {
		if env := getenv("GOGC"); env != "" {
			if env != "off" {
				if _, err := strconv.Atoi(env); err != nil {
					return false, fmt.Errorf("GOGC=%q: expected a number or off", env)
				}
			}
			return false, nil
		}
	}
	debug.SetGCPercent(pct)
	return true, nil
}
