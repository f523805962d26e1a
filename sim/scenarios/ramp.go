package scenarios

import (
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// Ramp says when devices start: spread evenly over Over, or at Rate per
// second; neither means all at once. Which device takes which start slot is
// a seeded permutation of the whole fleet, so groups ramp together.
type Ramp struct {
	Over units.Duration  `yaml:"over" doc:"start devices evenly over this duration"`
	Rate units.Frequency `yaml:"rate" doc:"start devices at this rate, e.g. 50/s"`
}

// offset is the start time of the slot-th device of n.
func (r Ramp) offset(slot, n int) time.Duration {
	switch {
	case r.Over > 0 && n > 1:
		return time.Duration(float64(r.Over) * float64(slot) / float64(n))
	case r.Rate > 0:
		return time.Duration(float64(slot) / float64(r.Rate) * float64(time.Second))
	}
	return 0
}
