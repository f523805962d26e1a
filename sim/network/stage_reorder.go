package network

import "math/rand/v2"

// Reorder sends some datagrams without delay so that they overtake the
// ones before them (netem "reorder P gap N"): once at least Gap-1 packets
// have passed since the last reordered one, the next is reordered with
// probability P.
type Reorder struct {
	P       float64
	Gap     int
	counter int
	r       *rand.Rand
}

// NewReorder returns a reordering stage; gap 0 means 1.
func NewReorder(p float64, gap int, r *rand.Rand) *Reorder {
	if gap <= 0 {
		gap = 1
	}
	return &Reorder{P: p, Gap: gap, r: r}
}

// Apply marks p urgent when it is reordered.
func (s *Reorder) Apply(p *Packet) {
	if p.Drop != "" {
		return
	}
	if s.counter < s.Gap-1 || s.r.Float64() >= s.P {
		s.counter++
		return
	}
	s.counter = 0
	p.Urgent = true
}
