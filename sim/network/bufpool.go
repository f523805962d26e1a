package network

import (
	"math/bits"
	"sync"
)

// Buffers for queued bytes, pooled by size class so that a link copying
// every write does not make garbage. A process-wide pool is not link
// state: it only recycles memory.
//
// Classes are powers of two from 512 B to 4 KiB (datagrams, small writes),
// then every multiple of 4 KiB up to 64 KiB: a send buffer refilled in
// thirds (21.8 KB) or a 32 KiB HTTP chunk wastes at most 4 KiB, not up to
// half its buffer as power-of-two classes did.
const (
	minBufClass = 9  // 512 B
	pow2Classes = 4  // 512 B, 1, 2, 4 KiB
	bufStep     = 12 // log2 of the step above 4 KiB
	maxBufSize  = 64 << 10
	bufClasses  = pow2Classes + maxBufSize>>bufStep - 1 // 4 + 15
)

var bufPools [bufClasses]sync.Pool

// bufClass is the class index for n bytes and its capacity; ok is false
// above 64 KiB.
func bufClass(n int) (class, size int, ok bool) {
	switch {
	case n <= 1<<minBufClass:
		return 0, 1 << minBufClass, true
	case n <= 1<<(minBufClass+pow2Classes-1):
		c := bits.Len(uint(n-1)) - minBufClass
		return c, 1 << (c + minBufClass), true
	case n <= maxBufSize:
		k := (n + 1<<bufStep - 1) >> bufStep // multiples of 4 KiB, 2..16
		return pow2Classes + k - 2, k << bufStep, true
	}
	return 0, 0, false
}

// getBuf returns a buffer of length n, pooled when n ≤ 64 KiB.
func getBuf(n int) *[]byte {
	c, size, ok := bufClass(n)
	if !ok {
		b := make([]byte, n)
		return &b
	}
	if v, ok := bufPools[c].Get().(*[]byte); ok {
		*v = (*v)[:n]
		return v
	}
	b := make([]byte, n, size)
	return &b
}

// putBuf returns b to its pool; b must not be used afterwards.
func putBuf(b *[]byte) {
	c, size, ok := bufClass(cap(*b))
	if !ok || cap(*b) != size {
		return
	}
	bufPools[c].Put(b)
}
