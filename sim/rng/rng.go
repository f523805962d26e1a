// Package rng derives independent, reproducible random sources.
//
// Every random decision in fleetsim comes from a *rand.Rand derived from the
// run seed and labels naming who decides (device id, direction, purpose), so
// the same seed replays the same decisions and different devices or links are
// independent. Nothing uses a global random source.
package rng

import (
	"hash/fnv"
	"math/rand/v2"
)

// Seed mixes a run seed with labels into a 64-bit seed.
func Seed(run uint64, labels ...string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(run >> (8 * i))
	}
	h.Write(b[:])
	for _, l := range labels {
		h.Write([]byte(l))
		h.Write([]byte{0}) // separator: ("ab","c") != ("a","bc")
	}
	return splitmix(h.Sum64())
}

// New returns a PCG source seeded from the run seed and labels.
func New(run uint64, labels ...string) *rand.Rand {
	s := Seed(run, labels...)
	return rand.New(rand.NewPCG(s, splitmix(s)))
}

// splitmix is the SplitMix64 finaliser; it spreads nearby seeds apart.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
