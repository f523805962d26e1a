package scenarios

import (
	"math"
	"reflect"
	"strconv"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/units"
	"gopkg.in/yaml.v3"
)

func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }

// PlanShare is one entry of a plan mix.
type PlanShare struct {
	Kind  cloudapi.PlanKind
	Share units.Ratio
}

// PlanMix is how a group's devices are spread over cloud-storage plans,
// written as a mapping in file order, e.g. {event: 80%, full-time: 15%,
// none: 5%}. Shares must sum to 100%. Devices get plans in exact
// proportions (largest remainder), assigned in a seeded random order.
type PlanMix []PlanShare

var planKinds = []string{string(cloudapi.PlanNone), string(cloudapi.PlanFullTime), string(cloudapi.PlanEvent), string(cloudapi.PlanFreeTrial)}

func (*PlanMix) expected() string {
	return "a mapping of plan kinds (none, full-time, event, free-trial) to shares summing to 100%, e.g. {event: 80%, full-time: 20%}"
}

func (m *PlanMix) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "found %s; expected %s", found(n), m.expected())
		return
	}
	var out PlanMix
	var sum float64
	ok := true
	d.eachPair(n, path, func(k, v *yaml.Node) {
		p := join(path, k.Value)
		d.keys[p] = k
		if !contains(planKinds, k.Value) {
			d.errorf(k, path, "found plan kind %q; expected %s%s", k.Value, oneOf(planKinds), didYouMean(k.Value, planKinds))
			ok = false
			return
		}
		var r units.Ratio
		before := len(d.probs)
		d.decode(v, reflectValue(&r), p)
		if len(d.probs) > before {
			ok = false
			return
		}
		sum += float64(r)
		out = append(out, PlanShare{Kind: cloudapi.PlanKind(k.Value), Share: r})
	})
	if ok && len(out) > 0 && math.Abs(sum-1) > 1e-9 {
		d.errorf(n, path, "found shares summing to %s%%; expected 100%%", strconv.FormatFloat(sum*100, 'g', 6, 64))
	}
	if len(out) == 0 && ok {
		d.errorf(n, path, "found an empty mix; expected %s", m.expected())
	}
	*m = out
}

// counts splits n devices over the mix by the largest-remainder method
// (ties go to the earlier entry), so the counts sum to n exactly.
func (m PlanMix) counts(n int) []int {
	shares := make([]float64, len(m))
	for i, s := range m {
		shares[i] = float64(s.Share)
	}
	return largestRemainder(n, shares)
}

// largestRemainder splits n into integers proportional to weights, summing
// to n; leftover units go to the largest fractional parts, ties to the
// earlier index. Deterministic.
func largestRemainder(n int, weights []float64) []int {
	out := make([]int, len(weights))
	var total float64
	for _, w := range weights {
		total += w
	}
	if total <= 0 || n <= 0 {
		return out
	}
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(n) * w / total
		out[i] = int(math.Floor(exact))
		given += out[i]
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	// stable selection of the largest remainders
	for given < n {
		best := -1
		for j, r := range rems {
			if r.i < 0 {
				continue
			}
			if best < 0 || r.f > rems[best].f+1e-12 {
				best = j
			}
		}
		out[rems[best].i]++
		rems[best].i = -1
		given++
	}
	return out
}
