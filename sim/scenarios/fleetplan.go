package scenarios

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// Device is one planned virtual camera.
type Device struct {
	// Index is the device's place in the whole fleet (0-based), group after
	// group in file order. Shards select by Index.
	Index int
	// ID is GROUP-NNNNN: the group name and the 0-based ordinal within the
	// group, zero-padded to at least 5 digits (living-rooms-00042).
	ID      string
	Group   string
	Ordinal int
	Profile string
	// Network is the name of the device's link profile in
	// Scenario.Networks ("" for a perfect link).
	Network string
	// Plan is the cloud-storage plan drawn from the group's mix.
	Plan cloudapi.PlanKind
	// Seed is rng.Seed(run seed, ID): every random choice of the device and
	// its link derives from it.
	Seed uint64
	// ClockSkew is the device clock's offset from true UTC at the start.
	ClockSkew time.Duration
	// Start is when the device starts, from the start of the run (ramp).
	Start time.Duration
}

// GroupRange is where a group's devices lie in FleetPlan.Devices.
type GroupRange struct {
	Name         string
	First, Count int
}

// FleetPlan is the deterministic list of devices of a run. It depends on
// the scenario (after overrides) only: the same file and seed give the
// same plan on every machine and in every shard.
type FleetPlan struct {
	Seed    uint64
	Devices []Device
	Groups  []GroupRange
}

// NewFleetPlan builds the fleet plan of a loaded scenario.
//
// Plans are assigned in exact proportions: the group's count is split over
// the mix by largest remainder and the resulting kinds are dealt to the
// group's devices in a random order seeded by (seed, "plan", group). Clock
// skews are drawn per device from rng.New(device seed, "clock-skew"). Ramp
// start slots are a permutation of the whole fleet seeded by (seed,
// "ramp"), so every group ramps at the same pace.
func NewFleetPlan(s *Scenario) *FleetPlan {
	n := s.Devices()
	p := &FleetPlan{Seed: s.Seed, Devices: make([]Device, 0, n)}
	for _, g := range s.Fleet {
		first := len(p.Devices)
		p.Groups = append(p.Groups, GroupRange{Name: g.Name, First: first, Count: g.Count})
		kinds := dealPlans(g.Plan, g.Count, rng.New(s.Seed, "plan", g.Name).Perm(g.Count))
		width := 5
		if w := len(strconv.Itoa(g.Count - 1)); w > width {
			width = w
		}
		for o := 0; o < g.Count; o++ {
			id := deviceID(g.Name, width, o)
			seed := rng.Seed(s.Seed, id)
			dev := Device{
				Index:   first + o,
				ID:      id,
				Group:   g.Name,
				Ordinal: o,
				Profile: g.Profile,
				Network: g.Network,
				Plan:    kinds[o],
				Seed:    seed,
			}
			if !g.ClockSkew.IsZero() {
				dev.ClockSkew = g.ClockSkew.Sample(rng.New(seed, "clock-skew"))
			}
			p.Devices = append(p.Devices, dev)
		}
	}
	if s.Ramp.Over > 0 || s.Ramp.Rate > 0 {
		slots := rng.New(s.Seed, "ramp").Perm(n)
		for i := range p.Devices {
			p.Devices[i].Start = s.Ramp.offset(slots[i], n)
		}
	}
	return p
}

// dealPlans gives plan kinds to count devices: exact proportions, in the
// order perm (a permutation of 0..count-1) says.
func dealPlans(mix PlanMix, count int, perm []int) []cloudapi.PlanKind {
	out := make([]cloudapi.PlanKind, count)
	if len(mix) == 0 {
		for i := range out {
			out[i] = cloudapi.PlanFullTime
		}
		return out
	}
	pos := 0
	for k, c := range mix.counts(count) {
		for j := 0; j < c; j++ {
			out[perm[pos]] = mix[k].Kind
			pos++
		}
	}
	return out
}

// Shard is one of N shards of a fleet: it runs the devices whose index
// mod N is I (DESIGN.md §9).
type Shard struct {
	I, N int
}

// ParseShard parses "i/n" (0 ≤ i < n).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if ok && err1 == nil && err2 == nil && n >= 1 && i >= 0 && i < n {
		return Shard{I: i, N: n}, nil
	}
	return Shard{}, fmt.Errorf("shard %q: expected i/n with 0 ≤ i < n, e.g. 0/4", s)
}

func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.I, sh.N) }

// Has reports whether the device with this index belongs to the shard. The
// zero Shard holds every device.
func (sh Shard) Has(index int) bool {
	if sh.N <= 1 {
		return true
	}
	return index%sh.N == sh.I
}

// Shard returns the devices of one shard, in index order.
func (p *FleetPlan) Shard(sh Shard) []Device {
	if sh.N <= 1 {
		return p.Devices
	}
	out := make([]Device, 0, len(p.Devices)/sh.N+1)
	for i := sh.I; i < len(p.Devices); i += sh.N {
		out = append(out, p.Devices[i])
	}
	return out
}

// Select returns the indices (ascending) of the devices timeline entry
// number entry affects: its group (or the whole fleet), or Fraction of it —
// round(Fraction × count) devices, at least one, chosen by a permutation
// seeded by (seed, "timeline", entry). The same in every shard.
func (p *FleetPlan) Select(e *Event, entry int) []int {
	var cand []int
	for _, g := range p.Groups {
		if e.Group != "" && g.Name != e.Group {
			continue
		}
		for i := 0; i < g.Count; i++ {
			cand = append(cand, g.First+i)
		}
	}
	k := len(cand)
	if f := float64(e.Fraction); f > 0 && f < 1 {
		k = int(math.Round(f * float64(len(cand))))
		if k == 0 && len(cand) > 0 {
			k = 1
		}
	}
	if k < len(cand) {
		perm := rng.New(p.Seed, "timeline", strconv.Itoa(entry)).Perm(len(cand))
		sel := make([]int, k)
		for i := 0; i < k; i++ {
			sel[i] = cand[perm[i]]
		}
		sort.Ints(sel)
		return sel
	}
	return cand
}

// DealPlans assigns a timeline plan change's mix to the selected devices
// (from Select) in exact proportions, in an order seeded by (seed,
// "timeline-plan", entry).
func (p *FleetPlan) DealPlans(mix PlanMix, selected []int, entry int) map[int]cloudapi.PlanKind {
	kinds := dealPlans(mix, len(selected), rng.New(p.Seed, "timeline-plan", strconv.Itoa(entry)).Perm(len(selected)))
	out := make(map[int]cloudapi.PlanKind, len(selected))
	for i, idx := range selected {
		out[idx] = kinds[i]
	}
	return out
}

// deviceID is NAME-NNNNN with the ordinal zero-padded to width digits.
func deviceID(group string, width, ordinal int) string {
	num := strconv.Itoa(ordinal)
	b := make([]byte, 0, len(group)+1+max(width, len(num)))
	b = append(b, group...)
	b = append(b, '-')
	for i := len(num); i < width; i++ {
		b = append(b, '0')
	}
	return string(append(b, num...))
}
