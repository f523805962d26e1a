package network

import (
	"math/bits"
	"sync"
)

// Buffers for queued bytes, pooled by power-of-two size class (512 B to
// 64 KiB), so that a link copying every write does not make garbage. A
// process-wide pool is not link state: it only recycles memory.
const (
	minBufClass = 9  // 512 B
	maxBufClass = 16 // 64 KiB
)

var bufPools [maxBufClass + 1]sync.Pool

func bufClass(n int) int {
	if n <= 1<<minBufClass {
		return minBufClass
	}
	return bits.Len(uint(n - 1))
}

// getBuf returns a buffer of length n, pooled when n ≤ 64 KiB.
func getBuf(n int) *[]byte {
	c := bufClass(n)
	if c > maxBufClass {
		b := make([]byte, n)
		return &b
	}
	if v, ok := bufPools[c].Get().(*[]byte); ok {
		*v = (*v)[:n]
		return v
	}
	b := make([]byte, n, 1<<c)
	return &b
}

// putBuf returns b to its pool; b must not be used afterwards.
func putBuf(b *[]byte) {
	c := bufClass(cap(*b))
	if cap(*b) != 1<<c || c > maxBufClass || c < minBufClass {
		return
	}
	bufPools[c].Put(b)
}
