package network

import "math/rand/v2"

// Markov4Loss is netem's 4-state loss model ("loss state"). One uniform
// draw per packet picks the transition, as netem does; a packet is lost
// when the chain enters state 3 (burst loss) or 4 (isolated loss).
type Markov4Loss struct {
	P13, P31, P32, P23, P14 float64
	state                   int
	r                       *rand.Rand
}

// NewMarkov4 returns the stage with tc's default P31 = 1-P13.
func NewMarkov4(c Markov4, r *rand.Rand) *Markov4Loss {
	s := &Markov4Loss{P13: float64(c.P13), P31: float64(c.P31), P32: float64(c.P32),
		P23: float64(c.P23), P14: float64(c.P14), state: 1, r: r}
	if c.P31 == 0 {
		s.P31 = 1 - s.P13
	}
	return s
}

// Lost moves the chain one packet and reports whether that packet is lost.
func (s *Markov4Loss) Lost() bool {
	u := s.r.Float64()
	switch s.state {
	case 1: // received, gap period
		switch {
		case u < s.P14:
			s.state = 4
			return true
		case u < s.P14+s.P13:
			s.state = 3
			return true
		}
	case 2: // received, burst period
		if u < s.P23 {
			s.state = 3
			return true
		}
	case 3: // lost, burst period
		switch {
		case u < s.P32:
			s.state = 2
		case u < s.P32+s.P31:
			s.state = 1
		default:
			return true
		}
	case 4: // isolated loss: back to the gap period
		s.state = 1
	}
	return false
}

// Rate is the stationary loss probability (states 3 and 4), from the
// chain's balance equations.
func (s *Markov4Loss) Rate() float64 {
	// Unnormalised stationary weights with π1 = 1:
	// π4 = P14·π1; π3 from the 1⇄3 and 2⇄3 flows; π2 = P32·π3/P23.
	if s.P31 == 0 && s.P32 == 0 {
		return 1
	}
	pi1 := 1.0
	pi4 := s.P14
	// Flow balance of state 1: (P13+P14)·π1 = P31·π3 + π4  ⇒ π3 = P13/P31.
	var pi3 float64
	if s.P31 > 0 {
		pi3 = s.P13 / s.P31
	} else {
		return 1
	}
	pi2 := 0.0
	if s.P23 > 0 {
		pi2 = s.P32 * pi3 / s.P23
	} else if s.P32 > 0 {
		return 0 // absorbed in state 2
	}
	return (pi3 + pi4) / (pi1 + pi2 + pi3 + pi4)
}

// Apply drops p when the chain says so.
func (s *Markov4Loss) Apply(p *Packet) {
	if p.Drop == "" && s.Lost() {
		p.Drop = DropLoss
	}
}
