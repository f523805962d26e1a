package main

import (
	"flag"
	"fmt"

	"github.com/fleetsim/fleetsim/sim/procs"
	"github.com/fleetsim/fleetsim/sim/units"
)

// memoryPerDevice is the memory --memory-budget auto grants each device of
// the run. DESIGN.md §7 allows 300 KB of resident memory per camera, and a
// run's peak RSS comes out a little over its budget (the binary, pages the
// scavenger has not returned yet: a budget of 288 KiB per device peaked at
// 291 KB at 1,000 cameras on the bench machine), hence 256 KiB.
const memoryPerDevice = 256 << 10

// memoryBudgetFlag registers --memory-budget on fs.
func memoryBudgetFlag(fs *flag.FlagSet) *string {
	return fs.String("memory-budget", "auto", "memory the run may use before the Go collector runs (sim/procs.HeapBudget): auto (256KiB per device of the run, at most half the memory available at start), a size such as 2GiB, or off (a fixed --gc-percent); never more collections than --gc-percent alone would make")
}

// planHeapBudget reads --memory-budget. It runs only where the run sets the
// collector (gcSet: GOGC not from the environment, --gc-percent not
// negative) and GOMEMLIMIT is not set; floor is the run's --gc-percent.
// It returns nil for no budget.
func planHeapBudget(val string, gcSet bool, floor, devices int, memAvailable int64, getenv func(string) string) (*procs.HeapBudget, error) {
	var budget int64
	switch val {
	case "off":
		return nil, nil
	case "auto":
		budget = int64(devices) * memoryPerDevice
		if memAvailable > 0 {
			budget = min(budget, memAvailable/2)
		}
	default:
		b, err := units.ParseByteSize(val)
		if err != nil || b <= 0 {
			return nil, fmt.Errorf("--memory-budget %q: expected auto, off or a size such as 2GiB", val)
		}
		budget = int64(b)
	}
	if !gcSet || floor < 0 || getenv("GOMEMLIMIT") != "" {
		return nil, nil
	}
	return &procs.HeapBudget{Budget: budget, Floor: floor}, nil
}
