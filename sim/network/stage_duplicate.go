package network

import "math/rand/v2"

// Duplicate marks a datagram for a second copy with probability P (netem
// "duplicate P"). The copy follows the original through the rest of the
// pipeline with its own queueing and delay.
type Duplicate struct {
	P float64
	r *rand.Rand
}

// NewDuplicate returns a duplication stage.
func NewDuplicate(p float64, r *rand.Rand) *Duplicate { return &Duplicate{P: p, r: r} }

// Apply marks p.Dup with probability P.
func (s *Duplicate) Apply(p *Packet) {
	if p.Drop == "" && s.r.Float64() < s.P {
		p.Dup = true
	}
}
