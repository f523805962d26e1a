package network

import (
	"math"
	"time"
)

// TCP model defaults.
const (
	DefaultMSS        = 1460
	DefaultSendBuffer = 64 * 1024
	DefaultMinRTO     = 200 * time.Millisecond
	DefaultStallLimit = 60 * time.Second
	// MaxRTO caps the doubling (Linux TCP_RTO_MAX).
	MaxRTO = 120 * time.Second
	// dupThresh segments must follow a loss for a fast retransmit.
	dupThresh = 3
	// tcpHeader bytes are charged per segment on the wire.
	tcpHeader = 40
	// padhyeAbove: above this loss rate Padhye's model replaces Mathis'.
	padhyeAbove = 0.02
)

// tcpParams is the TCP model of a profile, computed once per profile.
type tcpParams struct {
	mss      int
	sndbuf   int
	ackDelay time.Duration // acknowledgements cross the down direction
	rtt      time.Duration
	rto      time.Duration
	stall    time.Duration
	capUp    float64 // goodput caps in bytes per second; 0 = none
	capDown  float64
}

func newTCPParams(p Profile, upLoss, downLoss float64) tcpParams {
	t := tcpParams{
		mss:    int(p.TCP.MSS),
		sndbuf: int(p.TCP.SendBuffer),
		stall:  p.TCP.StallLimit.D(),
		rtt:    p.Up.Delay.D() + p.Down.Delay.D(),
	}
	t.ackDelay = p.Down.Delay.D()
	if t.mss == 0 {
		t.mss = DefaultMSS
	}
	if t.sndbuf == 0 {
		t.sndbuf = DefaultSendBuffer
	}
	if t.stall == 0 {
		t.stall = DefaultStallLimit
	}
	minRTO := p.TCP.MinRTO.D()
	if minRTO == 0 {
		minRTO = DefaultMinRTO
	}
	// RFC 6298: RTO = SRTT + 4·RTTVAR, floored; the jitter stands for RTTVAR.
	t.rto = max(minRTO, t.rtt+4*(p.Up.Jitter.D()+p.Down.Jitter.D()))
	if !p.TCP.NoGoodputCap {
		t.capUp = GoodputCap(t.mss, t.rtt, t.rto, upLoss)
		t.capDown = GoodputCap(t.mss, t.rtt, t.rto, downLoss)
	}
	return t
}

// GoodputCap is the steady-state TCP throughput in bytes per second for a
// segment size, round-trip time, retransmission timeout and loss rate:
// Mathis et al. (MSS/RTT)·√(3/2)/√p up to 2 % loss, Padhye et al.'s full
// model (with timeouts, b = 1) above. It is 0 (no cap) without loss or
// without a round-trip time.
func GoodputCap(mss int, rtt, rto time.Duration, p float64) float64 {
	if p <= 0 || rtt <= 0 {
		return 0
	}
	r := rtt.Seconds()
	if p <= padhyeAbove {
		return float64(mss) / r * math.Sqrt(1.5) / math.Sqrt(p)
	}
	t0 := rto.Seconds()
	den := r*math.Sqrt(2*p/3) + t0*math.Min(1, 3*math.Sqrt(3*p/8))*p*(1+32*p*p)
	return float64(mss) / den
}

// flow is one direction of one TCP connection: in-order delivery, its own
// goodput cap, and the losses that following segments may still repair by
// fast retransmit.
type flow struct {
	last time.Time    // latest arrival so far: nothing arrives before it
	cap  *TokenBucket // goodput cap, nil when none
	gen  uint64       // profile generation cap was made for
	n    uint64       // segments scheduled so far
	pend []pendLoss
	// fixed: follow's result (reused)
	fixed []repaired
}

// pendLoss is a lost segment waiting for duplicate acknowledgements.
type pendLoss struct {
	n         uint64    // the segment's number on the flow
	deadline  time.Time // its timeout fires then: later followers do not help
	followers int
	rest      time.Duration
	own       time.Time // its arrival if repaired by timeout
}

// repaired is a loss brought forward by fast retransmit: segment n of the
// flow now arrives at own.
type repaired struct {
	n   uint64
	own time.Time
}

// follow accounts segment f, just scheduled, as the flow's next segment: it
// is a follower of every pending loss whose timeout has not fired when f
// leaves. When a loss gets its third follower, the duplicate
// acknowledgements reach the sender one RTT after that follower left, the
// segment is resent then (RFC 5681 fast retransmit) and it is returned
// with its new arrival, for the caller to repair before it schedules the
// next segment. f itself becomes pending if its first transmission was
// lost. The returned slice is reused by the next call.
func (fl *flow) follow(f segFate, rtt time.Duration) []repaired {
	n := fl.n
	fl.n++
	fixed := fl.fixed[:0]
	if len(fl.pend) > 0 {
		keep := fl.pend[:0]
		for _, p := range fl.pend {
			if !f.depart.Before(p.deadline) {
				continue // the timeout fired first
			}
			if p.followers++; p.followers < dupThresh {
				keep = append(keep, p)
				continue
			}
			if own := f.depart.Add(max(rtt, time.Millisecond)).Add(p.rest); own.Before(p.own) {
				fixed = append(fixed, repaired{n: p.n, own: own})
			}
		}
		fl.pend = keep
	}
	if f.lost {
		fl.pend = append(fl.pend, pendLoss{n: n, deadline: f.depart.Add(f.rto), rest: f.rest, own: f.own})
	}
	fl.fixed = fixed
	return fixed
}
