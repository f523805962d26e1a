package h265

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// ProfileTierLevel is the general part of profile_tier_level()
// (ITU-T H.265 7.3.3).
type ProfileTierLevel struct {
	ProfileSpace     uint8
	Tier             bool // general_tier_flag: High tier
	ProfileIDC       uint8
	CompatFlags      uint32 // general_profile_compatibility_flag[0..31], flag j at bit 31-j
	ConstraintFlags  uint64 // the 48 bits from general_progressive_source_flag on
	LevelIDC         uint8  // 30 × level number, e.g. 93 = level 3.1
	MaxSubLayersMin1 uint8
}

func parsePTL(r *bits.Reader, maxSubLayersMinus1 int) ProfileTierLevel {
	var p ProfileTierLevel
	p.ProfileSpace = uint8(r.U(2))
	p.Tier = r.Flag()
	p.ProfileIDC = uint8(r.U(5))
	p.CompatFlags = uint32(r.U(32))
	p.ConstraintFlags = r.U(48)
	p.LevelIDC = uint8(r.U(8))
	p.MaxSubLayersMin1 = uint8(maxSubLayersMinus1)
	var profPresent, levelPresent [8]bool
	for i := 0; i < maxSubLayersMinus1; i++ {
		profPresent[i] = r.Flag()
		levelPresent[i] = r.Flag()
	}
	if maxSubLayersMinus1 > 0 {
		for i := maxSubLayersMinus1; i < 8; i++ {
			r.U(2)
		}
	}
	for i := 0; i < maxSubLayersMinus1; i++ {
		if profPresent[i] {
			r.Skip(88)
		}
		if levelPresent[i] {
			r.U(8)
		}
	}
	return p
}

func writePTL(w *bits.Writer, p ProfileTierLevel) {
	w.U(2, uint64(p.ProfileSpace))
	w.Flag(p.Tier)
	w.U(5, uint64(p.ProfileIDC))
	w.U(32, uint64(p.CompatFlags))
	w.U64(48, p.ConstraintFlags)
	w.U(8, uint64(p.LevelIDC))
	// Only sps_max_sub_layers_minus1 = 0 is written.
}

// Codec returns the RFC 6381 codecs string for hvc1, e.g. "hvc1.1.6.L93.B0".
func (p ProfileTierLevel) Codec() string {
	// general_profile_compatibility_flags in reverse bit order, hex.
	var rev uint32
	for i := 0; i < 32; i++ {
		if p.CompatFlags&(1<<uint(i)) != 0 {
			rev |= 1 << uint(31-i)
		}
	}
	space := ""
	if p.ProfileSpace > 0 {
		space = string(rune('A' + p.ProfileSpace - 1))
	}
	tier := "L"
	if p.Tier {
		tier = "H"
	}
	s := fmt.Sprintf("hvc1.%s%d.%X.%s%d", space, p.ProfileIDC, rev, tier, p.LevelIDC)
	// Constraint bytes, trailing zero bytes dropped.
	var cb [6]byte
	for i := range cb {
		cb[i] = byte(p.ConstraintFlags >> uint(40-8*i))
	}
	n := len(cb)
	for n > 0 && cb[n-1] == 0 {
		n--
	}
	for i := 0; i < n; i++ {
		s += fmt.Sprintf(".%X", cb[i])
	}
	return s
}
