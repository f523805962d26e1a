package main

import (
	"flag"
	"fmt"

	"github.com/fleetsim/fleetsim/sim/procs"
	"github.com/fleetsim/fleetsim/sim/units"
)

// heapPerDevice is the heap --heap-budget auto grants each device of the
// run. DESIGN.md §7 allows 300 KB of resident memory per camera; the rest
// of the 300 KB is goroutine stacks, the runtime's own memory and pages the
// heap has not returned yet (peak RSS ran about 12 % above the heap goal
// at 5,000 cameras on the bench machine).
const heapPerDevice = 224 << 10

// heapBudgetFlag registers --heap-budget on fs.
func heapBudgetFlag(fs *flag.FlagSet) *string {
	return fs.String("heap-budget", "auto", "heap the Go collector lets the run grow to before it collects (sim/procs.HeapBudget): auto (224KiB per device of the run, at most half the memory available at start), a size such as 2GiB, or off (a fixed --gc-percent); never fewer collections than --gc-percent alone would make")
}

// planHeapBudget reads --heap-budget. It runs only where the run sets the
// collector (gcSet: GOGC not from the environment, --gc-percent not
// negative) and GOMEMLIMIT is not set; floor is the run's --gc-percent.
// It returns nil for no budget.
func planHeapBudget(val string, gcSet bool, floor, devices int, memAvailable int64, getenv func(string) string) (*procs.HeapBudget, error) {
	var budget int64
	switch val {
	case "off":
		return nil, nil
	case "auto":
		budget = int64(devices) * heapPerDevice
		if memAvailable > 0 {
			budget = min(budget, memAvailable/2)
		}
	default:
		b, err := units.ParseByteSize(val)
		if err != nil || b <= 0 {
			return nil, fmt.Errorf("--heap-budget %q: expected auto, off or a size such as 2GiB", val)
		}
		budget = int64(b)
	}
	if !gcSet || floor < 0 || getenv("GOMEMLIMIT") != "" {
		return nil, nil
	}
	return &procs.HeapBudget{Budget: budget, Floor: floor}, nil
}
