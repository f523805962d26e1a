package network

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// SynthTrace makes a delivery-opportunity trace whose capacity moves
// between levels like a cellular link: each level holds for an exponential
// time with mean hold, then a different level is drawn uniformly. Within a
// level the opportunities follow the rate exactly (fractions carry over
// milliseconds). The last millisecond always has an opportunity so that
// the period is length.
func SynthTrace(r *rand.Rand, length time.Duration, levels []units.Bitrate, hold time.Duration) (*Trace, error) {
	if len(levels) == 0 || length < time.Millisecond || hold <= 0 {
		return nil, fmt.Errorf("synth trace: need levels, a length ≥ 1ms and a hold > 0")
	}
	total := int(length / time.Millisecond)
	var ms []uint32
	level := r.IntN(len(levels))
	left := time.Duration(r.ExpFloat64() * float64(hold))
	acc := 0.0
	for t := 1; t <= total; t++ {
		acc += levels[level].BytesPerSecond() / 1000
		for acc >= OpportunitySize {
			ms = append(ms, uint32(t))
			acc -= OpportunitySize
		}
		if left -= time.Millisecond; left <= 0 && len(levels) > 1 {
			next := r.IntN(len(levels) - 1)
			if next >= level {
				next++
			}
			level = next
			left = time.Duration(r.ExpFloat64() * float64(hold))
		}
	}
	if len(ms) == 0 || ms[len(ms)-1] != uint32(total) {
		ms = append(ms, uint32(total))
	}
	return NewTrace(ms)
}
