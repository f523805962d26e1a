package network

import "math/rand/v2"

// Bernoulli loses each packet independently with probability P (netem
// "loss random P").
type Bernoulli struct {
	P float64
	r *rand.Rand
}

// NewBernoulli returns an independent-loss stage.
func NewBernoulli(p float64, r *rand.Rand) *Bernoulli { return &Bernoulli{P: p, r: r} }

// Lost draws one decision.
func (s *Bernoulli) Lost() bool { return s.r.Float64() < s.P }

// Rate is the long-run loss probability.
func (s *Bernoulli) Rate() float64 { return s.P }

// Apply drops p with probability P.
func (s *Bernoulli) Apply(p *Packet) {
	if p.Drop == "" && s.Lost() {
		p.Drop = DropLoss
	}
}
