package report

import (
	"errors"
	"fmt"
	"time"
)

// RunInfo describes the run, or the shard of a run, that an Accumulator
// counts. The runner fills it from the scenario and the fleet plan.
type RunInfo struct {
	Scenario string
	Seed     uint64
	Shard    Shard
	// Groups are the fleet groups with the global device indices (fleet-plan
	// indices) this shard runs. A device in no group is counted under the
	// group "unassigned".
	Groups []Group
	// Planned is how many devices this shard plans; 0 means the number of
	// devices in Groups.
	Planned int
	// Thresholds are evaluated against the report at the end.
	Thresholds []Threshold
	// Window is the timeline resolution (default DefaultWindow).
	Window time.Duration
	// LagLimit is the generator lag p99 above which the report flags its
	// latency figures as untrustworthy (default DefaultLagLimit).
	LagLimit time.Duration
	// WorstDevices is how many devices the report lists in each worst-devices
	// table (default DefaultWorstDevices).
	WorstDevices int
}

// Shard says which part of a sharded run this is (Index in [0, Count)).
// The zero value means an unsharded run.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Group is one fleet group and its devices (fleet-plan indices).
type Group struct {
	Name    string
	Devices []int
}

// Defaults of RunInfo.
const (
	DefaultWindow       = 10 * time.Second
	DefaultLagLimit     = 50 * time.Millisecond
	DefaultWorstDevices = 10
	// MaxDeviceIndex bounds device indices so that a bad plan cannot make the
	// accumulator allocate without limit.
	MaxDeviceIndex = 1 << 24
)

// unassignedGroup collects devices in no group and observations naming no
// known device.
const unassignedGroup = "unassigned"

func (ri *RunInfo) normalize() error {
	if ri.Window <= 0 {
		ri.Window = DefaultWindow
	}
	if ri.LagLimit <= 0 {
		ri.LagLimit = DefaultLagLimit
	}
	if ri.WorstDevices <= 0 {
		ri.WorstDevices = DefaultWorstDevices
	}
	if ri.Shard.Count == 0 {
		ri.Shard.Count = 1
	}
	if ri.Shard.Index < 0 || ri.Shard.Index >= ri.Shard.Count {
		return fmt.Errorf("report: shard %d/%d out of range", ri.Shard.Index, ri.Shard.Count)
	}
	var errs []error
	seenName := map[string]bool{}
	seenDev := map[int]string{}
	n := 0
	if len(ri.Groups) >= maxGroups {
		errs = append(errs, fmt.Errorf("report: %d groups, at most %d", len(ri.Groups), maxGroups-1))
	}
	for _, g := range ri.Groups {
		if g.Name == "" || g.Name == unassignedGroup {
			errs = append(errs, fmt.Errorf("report: group name %q not allowed", g.Name))
		}
		if seenName[g.Name] {
			errs = append(errs, fmt.Errorf("report: group %q twice", g.Name))
		}
		seenName[g.Name] = true
		for _, d := range g.Devices {
			if d < 0 || d >= MaxDeviceIndex {
				errs = append(errs, fmt.Errorf("report: group %q: device index %d out of range [0, %d)", g.Name, d, MaxDeviceIndex))
				continue
			}
			if other, dup := seenDev[d]; dup {
				errs = append(errs, fmt.Errorf("report: device %d in groups %q and %q", d, other, g.Name))
				continue
			}
			seenDev[d] = g.Name
			n++
		}
	}
	if ri.Planned == 0 {
		ri.Planned = n
	}
	if ri.Planned < 0 {
		errs = append(errs, fmt.Errorf("report: planned %d negative", ri.Planned))
	}
	return errors.Join(errs...)
}

// deviceRanges writes device indices compactly as inclusive [first, last]
// ranges.
func deviceRanges(devs []int) [][2]int {
	var out [][2]int
	for _, d := range devs {
		if k := len(out); k > 0 && out[k-1][1]+1 == d {
			out[k-1][1] = d
			continue
		}
		out = append(out, [2]int{d, d})
	}
	return out
}
