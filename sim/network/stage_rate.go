package network

import (
	"math"
	"time"
)

// TokenBucket serialises packets at Rate bytes per second with a bucket of
// Burst bytes, charging Overhead extra bytes per packet. The bucket may go
// into debt: the debt is the backlog, and a packet leaves when the debt it
// joined has been paid. FIFO order is kept.
type TokenBucket struct {
	rate     float64 // bytes per second
	burst    float64
	overhead int
	tokens   float64
	last     time.Time
}

// NewTokenBucket returns a full bucket. rate is in bytes per second.
func NewTokenBucket(rate float64, burst, overhead int) *TokenBucket {
	return &TokenBucket{rate: rate, burst: float64(burst), overhead: overhead, tokens: float64(burst)}
}

func (b *TokenBucket) refill(t time.Time) {
	if b.last.IsZero() {
		b.last = t
		return
	}
	if dt := t.Sub(b.last); dt > 0 {
		b.tokens = math.Min(b.burst, b.tokens+b.rate*dt.Seconds())
		b.last = t
	}
}

// Apply charges p and moves it to the time its last byte leaves.
func (b *TokenBucket) Apply(p *Packet) {
	if p.Drop != "" {
		return
	}
	b.refill(p.At)
	b.tokens -= float64(p.Size + b.overhead)
	if b.tokens < 0 {
		p.At = b.last.Add(time.Duration(-b.tokens / b.rate * float64(time.Second)))
	}
}

// Backlog is the debt at t in bytes.
func (b *TokenBucket) Backlog(t time.Time) int {
	b.refill(t)
	if b.tokens >= 0 {
		return 0
	}
	return int(-b.tokens)
}

// carry moves the backlog of a previous bucket into b (profile changes).
func (b *TokenBucket) carry(t time.Time, backlog int) {
	b.last = t
	b.tokens = -float64(backlog)
}
