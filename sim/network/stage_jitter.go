package network

import (
	"math"
	"math/rand/v2"
	"time"
)

// Jitter adds a random delay variation with netem's conventions: a
// correlated uniform draw mapped through the distribution's quantile,
// scaled by Sigma. It is never negative beyond Base, so the total delay
// (Base + jitter) stays ≥ 0.
type Jitter struct {
	Sigma time.Duration
	Base  time.Duration
	Dist  Distribution
	u     crandom
}

// NewJitter returns a jitter stage; base is the fixed delay it is added to.
func NewJitter(sigma, base time.Duration, dist Distribution, correlation float64, r *rand.Rand) *Jitter {
	return &Jitter{Sigma: sigma, Base: base, Dist: dist, u: newCrandom(r, correlation)}
}

// Sample draws one jitter value.
func (s *Jitter) Sample() time.Duration {
	u := s.u.next()
	// Keep the quantile finite at the ends of the unit interval.
	u = math.Min(math.Max(u, 1e-12), 1-1e-12)
	d := time.Duration(float64(s.Sigma) * s.Dist.Quantile(u))
	if d < -s.Base {
		d = -s.Base
	}
	return d
}

// Apply delays every packet that is not urgent by a fresh sample.
func (s *Jitter) Apply(p *Packet) {
	if p.Drop == "" && !p.Urgent {
		p.At = p.At.Add(s.Sample())
	}
}
