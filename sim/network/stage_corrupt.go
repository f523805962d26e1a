package network

import "math/rand/v2"

// Corrupt flips one random bit of a datagram with probability P (netem
// "corrupt P"). On TCP a corrupted segment fails its checksum and counts
// as a loss.
type Corrupt struct {
	P float64
	r *rand.Rand
}

// NewCorrupt returns a corruption stage.
func NewCorrupt(p float64, r *rand.Rand) *Corrupt { return &Corrupt{P: p, r: r} }

// Apply marks p corrupted and picks the bit.
func (s *Corrupt) Apply(p *Packet) {
	if p.Drop != "" || p.Size == 0 || s.r.Float64() >= s.P {
		return
	}
	p.Corrupt = true
	p.CorruptBit = s.r.IntN(p.Size * 8)
}

// flipBit flips bit i of b (bit 0 is the most significant bit of b[0]).
func flipBit(b []byte, i int) {
	if i >= 0 && i < len(b)*8 {
		b[i/8] ^= 0x80 >> (i % 8)
	}
}
