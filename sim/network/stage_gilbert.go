package network

import "math/rand/v2"

// GilbertElliottLoss is netem's "loss gemodel": a two-state chain moved
// once per packet; the loss decision uses the state the packet found.
type GilbertElliottLoss struct {
	P, R, BadLoss, GoodLoss float64
	bad                     bool
	r                       *rand.Rand
}

// NewGilbertElliott returns the stage for the configured model, applying
// netem's defaults (R = 1-P, BadLoss = 1, GoodLoss = 0).
func NewGilbertElliott(c GilbertElliott, r *rand.Rand) *GilbertElliottLoss {
	s := &GilbertElliottLoss{P: float64(c.P), R: float64(c.R), BadLoss: float64(c.BadLoss), GoodLoss: float64(c.GoodLoss), r: r}
	if c.R == 0 {
		s.R = 1 - s.P
	}
	if c.BadLoss == 0 {
		s.BadLoss = 1
	}
	return s
}

// Lost moves the chain one packet and reports whether that packet is lost.
func (s *GilbertElliottLoss) Lost() bool {
	if s.bad {
		if s.r.Float64() < s.R {
			s.bad = false
		}
		return s.r.Float64() < s.BadLoss
	}
	if s.r.Float64() < s.P {
		s.bad = true
	}
	return s.r.Float64() < s.GoodLoss
}

// Rate is the stationary loss probability.
func (s *GilbertElliottLoss) Rate() float64 {
	if s.P+s.R == 0 {
		return s.GoodLoss
	}
	pb := s.P / (s.P + s.R)
	return pb*s.BadLoss + (1-pb)*s.GoodLoss
}

// Apply drops p when the chain says so.
func (s *GilbertElliottLoss) Apply(p *Packet) {
	if p.Drop == "" && s.Lost() {
		p.Drop = DropLoss
	}
}
