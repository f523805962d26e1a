// Package g711 makes ITU-T G.711 audio frames: A-law and µ-law silence for
// the virtual camera's audio track, and the sample codecs to check them.
package g711

import (
	"bytes"
	"fmt"
	"time"
)

// Law is a G.711 companding law.
type Law uint8

const (
	ALaw  Law = iota // PCMA
	MuLaw            // PCMU
)

func (l Law) String() string {
	if l == MuLaw {
		return "mulaw"
	}
	return "alaw"
}

// SilenceByte is the code of the sample closest to zero: A-law 0xD5
// (+8 in 16-bit linear), µ-law 0xFF (0).
func SilenceByte(l Law) byte {
	if l == MuLaw {
		return 0xFF
	}
	return 0xD5
}

// SampleRate is G.711's fixed rate.
const SampleRate = 8000

// FrameSamples is the number of samples (= bytes) in a frame of duration d.
func FrameSamples(d time.Duration) int {
	return int(d * SampleRate / time.Second)
}

// SilentFrame returns n samples of silence; build it once per profile and
// share it, it is never modified.
func SilentFrame(l Law, n int) ([]byte, error) {
	if n <= 0 || n > 1<<20 {
		return nil, fmt.Errorf("g711: frame of %d samples", n)
	}
	return bytes.Repeat([]byte{SilenceByte(l)}, n), nil
}

// Decode returns the 16-bit linear value of a code (ITU-T G.711 tables).
func Decode(l Law, code byte) int16 {
	if l == MuLaw {
		u := ^code
		t := (int(u&0x0F)<<3 + 0x84) << (uint(u&0x70) >> 4)
		if u&0x80 != 0 {
			return int16(0x84 - t)
		}
		return int16(t - 0x84)
	}
	a := code ^ 0x55
	t := int(a&0x0F) << 4
	seg := uint(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
