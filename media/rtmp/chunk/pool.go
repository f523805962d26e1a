package chunk

import (
	"math/bits"
	"sync"
)

// BufferPool recycles message buffers by power-of-two size class. One pool
// may be shared by every connection of a server, so an idle connection holds
// no message buffers. It is safe for concurrent use.
type BufferPool struct {
	classes [numClasses]sync.Pool
}

const (
	minClassBits = 8  // 256 B
	maxClassBits = 24 // 16 MiB, above MaxMessageLength
	numClasses   = maxClassBits - minClassBits + 1
)

// NewBufferPool returns an empty pool.
func NewBufferPool() *BufferPool { return new(BufferPool) }

func class(n int) int {
	if n <= 1<<minClassBits {
		return 0
	}
	return bits.Len(uint(n-1)) - minClassBits
}

// Get returns a buffer of length 0 and capacity at least n.
func (p *BufferPool) Get(n int) *[]byte {
	c := class(n)
	if c >= numClasses {
		b := make([]byte, 0, n)
		return &b
	}
	if v := p.classes[c].Get(); v != nil {
		b := v.(*[]byte)
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 1<<(c+minClassBits))
	return &b
}

// Put returns a buffer obtained from Get.
func (p *BufferPool) Put(b *[]byte) {
	c := class(cap(*b))
	if c >= numClasses || cap(*b) != 1<<(c+minClassBits) {
		return // not one of ours
	}
	p.classes[c].Put(b)
}
