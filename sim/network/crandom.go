package network

import "math/rand/v2"

// crandom is netem's correlated uniform source: each draw is
// (1-rho)·fresh + rho·previous. With rho = 0 draws are independent.
type crandom struct {
	r    *rand.Rand
	rho  float64
	last float64
}

func newCrandom(r *rand.Rand, rho float64) crandom {
	return crandom{r: r, rho: rho, last: r.Float64()}
}

func (c *crandom) next() float64 {
	u := c.r.Float64()
	if c.rho == 0 {
		return u
	}
	u = (1-c.rho)*u + c.rho*c.last
	c.last = u
	return u
}
