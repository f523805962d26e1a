package network

import "time"

// Delay adds a fixed one-way delay (netem "delay d").
type Delay struct{ D time.Duration }

// NewDelay returns a fixed-delay stage.
func NewDelay(d time.Duration) *Delay { return &Delay{D: d} }

// Apply delays every packet that is not urgent.
func (s *Delay) Apply(p *Packet) {
	if p.Drop == "" && !p.Urgent {
		p.At = p.At.Add(s.D)
	}
}
