package network

import (
	"math/rand/v2"
	"time"

	"github.com/fleetsim/fleetsim/sim/rng"
)

// lossModel is a stage that decides losses and knows its long-run rate.
type lossModel interface {
	Stage
	Lost() bool
	Rate() float64
}

// dirRand holds one direction's random streams, one per stage, so that
// turning one impairment on does not shift another's decisions.
type dirRand struct {
	loss, jitter, dup, corrupt, reorder *rand.Rand
}

func newDirRand(seed uint64, device, dir string) *dirRand {
	return &dirRand{
		loss:    rng.New(seed, device, dir, "loss"),
		jitter:  rng.New(seed, device, dir, "jitter"),
		dup:     rng.New(seed, device, dir, "duplicate"),
		corrupt: rng.New(seed, device, dir, "corrupt"),
		reorder: rng.New(seed, device, dir, "reorder"),
	}
}

// path is one direction of a link, compiled from a Direction.
type path struct {
	outage   OutageStage
	loss     lossModel
	corrupt  *Corrupt
	dup      *Duplicate
	queue    *QueueLimit
	capacity []Capacity
	reorder  *Reorder
	delay    *Delay
	jitter   *Jitter

	// before is what a datagram meets once (outage, loss, duplication,
	// corruption); after is what each copy meets (queue, capacity,
	// reordering, delay, jitter).
	before, after Pipeline
	stats         DirStats
	// scratch packets: a Packet handed to a Stage escapes, so the hot
	// paths reuse these instead of allocating one per decision.
	pk, cp, lat Packet
}

// buildPath compiles d. prev, when not nil, is the path it replaces: its
// statistics, and the backlog at its capacity at now, carry over.
func buildPath(d Direction, rr *dirRand, sched *outageSchedule, start, now time.Time, tr *Trace, prev *path) *path {
	p := &path{outage: OutageStage{sched}}
	p.before = append(p.before, p.outage)
	switch {
	case d.GilbertElliott != nil:
		p.loss = NewGilbertElliott(*d.GilbertElliott, rr.loss)
	case d.Markov4 != nil:
		p.loss = NewMarkov4(*d.Markov4, rr.loss)
	case d.Loss > 0:
		p.loss = NewBernoulli(float64(d.Loss), rr.loss)
	}
	if p.loss != nil {
		p.before = append(p.before, p.loss)
	}
	if d.Duplicate > 0 {
		p.dup = NewDuplicate(float64(d.Duplicate), rr.dup)
		p.before = append(p.before, p.dup)
	}
	if d.Corrupt > 0 {
		p.corrupt = NewCorrupt(float64(d.Corrupt), rr.corrupt)
		p.before = append(p.before, p.corrupt)
	}

	backlog := 0
	if prev != nil {
		p.stats = prev.stats
		for _, c := range prev.capacity {
			backlog = max(backlog, c.Backlog(now))
		}
	}
	if tr != nil {
		var ts *TraceCapacity
		if prev != nil {
			for _, c := range prev.capacity {
				if old, ok := c.(*TraceCapacity); ok && old.tr == tr && old.overhead == int(d.Overhead) {
					ts = old
				}
			}
		}
		if ts == nil {
			ts = NewTraceCapacity(tr, start, int(d.Overhead))
		}
		p.capacity = append(p.capacity, ts)
	}
	if d.Rate > 0 {
		burst := int(d.Burst)
		if burst == 0 {
			burst = max(OpportunitySize, int(d.Rate.BytesPerSecond()*0.002))
		}
		tb := NewTokenBucket(d.Rate.BytesPerSecond(), burst, int(d.Overhead))
		if backlog > 0 && tr == nil {
			tb.carry(now, backlog)
		}
		p.capacity = append(p.capacity, tb)
	}
	if d.Queue > 0 && len(p.capacity) > 0 {
		p.queue = NewQueueLimit(int(d.Queue), p.capacity[0])
		p.after = append(p.after, p.queue)
	}
	for _, c := range p.capacity {
		p.after = append(p.after, c)
	}
	if d.Reorder > 0 {
		p.reorder = NewReorder(float64(d.Reorder), d.ReorderGap, rr.reorder)
		p.after = append(p.after, p.reorder)
	}
	if d.Delay > 0 {
		p.delay = NewDelay(d.Delay.D())
		p.after = append(p.after, p.delay)
	}
	if d.Jitter > 0 {
		dist, _ := ParseDistribution(string(d.Distribution))
		p.jitter = NewJitter(d.Jitter.D(), d.Delay.D(), dist, float64(d.Correlation), rr.jitter)
		p.after = append(p.after, p.jitter)
	}
	return p
}

// lossRate is the long-run probability that a TCP segment must be resent.
func (p *path) lossRate() float64 {
	r := 0.0
	if p.loss != nil {
		r = p.loss.Rate()
	}
	if p.corrupt != nil {
		r = 1 - (1-r)*(1-p.corrupt.P)
	}
	return r
}

// datagram decides the fate of one datagram of size bytes sent at t. It
// returns the copies that arrive (0, 1 or 2) in out and the packet as the
// first stages left it (its Drop says why it was lost).
func (p *path) datagram(t time.Time, size int, out *[2]Packet) (n int, first Packet) {
	p.stats.Packets++
	p.stats.Bytes += int64(size)
	pk := &p.pk
	*pk = Packet{Size: size, At: t}
	p.before.Apply(pk)
	if p.count(pk) {
		return 0, *pk
	}
	copies := 1
	if pk.Dup {
		copies = 2
		p.stats.Duplicated++
	}
	if pk.Corrupt {
		p.stats.Corrupted++
	}
	for i := 0; i < copies; i++ {
		c := &p.cp
		*c = *pk
		c.Dup = false
		if i == 1 {
			c.Corrupt = false
		}
		p.after.Apply(c)
		if p.count(c) {
			continue
		}
		if c.Urgent {
			p.stats.Reordered++
		}
		out[n] = *c
		n++
	}
	return n, *pk
}

// count tallies a dropped packet and reports whether it was dropped.
func (p *path) count(pk *Packet) bool {
	switch pk.Drop {
	case "":
		return false
	case DropLoss:
		p.stats.Lost++
	case DropQueue:
		p.stats.QueueDrops++
	case DropOutage:
		p.stats.OutageDrops++
	}
	return true
}

// segFate is what the path decided about one TCP segment.
type segFate struct {
	depart  time.Time // first transmission (after capacity and the goodput cap)
	own     time.Time // arrival, before in-order delivery
	due     time.Time // arrival, in order: never before earlier segments
	stalled bool      // undeliverable within the stall limit: the connection dies at due
	// lost: the first transmission was lost (not in an outage), so enough
	// segments following it may repair it by fast retransmit. rto is when
	// its timeout would fire (from depart); rest is what follows a
	// retransmission: further timeouts if it is lost again, then the
	// one-way latency.
	lost bool
	rto  time.Duration
	rest time.Duration
}

// segment decides when one TCP segment of size bytes, handed to the path at
// t, reaches the far end: the capacity serialises it (and the flow's goodput
// cap), every loss or outage costs a retransmission timeout doubling per
// repeat, and nothing arrives before what was sent earlier on the flow.
// The flow's fast-retransmit tracker may later bring a loss forward to
// about one RTT when three segments follow it in time (see flow.follow).
func (p *path) segment(t time.Time, size int, fl *flow, tp *tcpParams) segFate {
	p.stats.Packets++
	p.stats.Bytes += int64(size)
	pk := &p.pk
	*pk = Packet{Size: size + tcpHeader, At: t}
	for _, c := range p.capacity {
		c.Apply(pk)
	}
	if fl.cap != nil {
		fl.cap.Apply(pk)
	}
	f := segFate{depart: pk.At}
	at := f.depart
	rto := tp.rto
	// Waits after a fast retransmission, if one repairs the first loss:
	// a lost retransmission times out from the base RTO again.
	var afterFirst time.Duration
	fastRTO := tp.rto
	// Without a loss process only an outage holds the segment back: when
	// the link is up, skip the retransmission loop (the same decision).
	if p.loss == nil && p.corrupt == nil {
		if down, _ := p.outage.s.downUntil(at); !down {
			return p.arrive(f, at, size, 0, fl)
		}
	}
	for attempt := 0; ; attempt++ {
		x := &p.cp
		*x = Packet{Size: size + tcpHeader, At: at}
		p.outage.Apply(x)
		if x.Drop == "" && p.loss != nil {
			p.loss.Apply(x)
		}
		if x.Drop == "" && p.corrupt != nil {
			p.corrupt.Apply(x)
		}
		if x.Drop == "" && !x.Corrupt {
			break
		}
		p.stats.Timeouts++
		if attempt == 0 {
			f.lost = x.Drop != DropOutage
			f.rto = rto
		} else {
			afterFirst += fastRTO
			fastRTO = min(2*fastRTO, MaxRTO)
		}
		at = at.Add(rto)
		rto = min(2*rto, MaxRTO)
		if at.Sub(f.depart) > tp.stall {
			f.stalled = true
			f.lost = false
			f.due = f.depart.Add(tp.stall)
			return f
		}
	}
	return p.arrive(f, at, size, afterFirst, fl)
}

// arrive completes f for a segment of size bytes whose transmission that
// gets through leaves at at: the one-way latency, then in-order delivery
// on fl.
func (p *path) arrive(f segFate, at time.Time, size int, afterFirst time.Duration, fl *flow) segFate {
	if p.jitter == nil {
		// a fixed delay (or none): no Packet to fill
		f.own = at
		if p.delay != nil {
			f.own = at.Add(p.delay.D)
			f.rest = afterFirst + p.delay.D
		} else {
			f.rest = afterFirst
		}
	} else {
		lat := &p.lat
		*lat = Packet{Size: size, At: at}
		if p.delay != nil {
			p.delay.Apply(lat)
		}
		p.jitter.Apply(lat)
		f.own = lat.At
		f.rest = afterFirst + lat.At.Sub(at)
	}
	f.due = f.own
	if f.due.Before(fl.last) {
		f.due = fl.last
	}
	fl.last = f.due
	return f
}

// fastRetransmitted moves one loss from the timeout count to the
// fast-retransmit count. l.mu held.
func (p *path) fastRetransmitted() {
	p.stats.Timeouts--
	p.stats.FastRetransmits++
}
