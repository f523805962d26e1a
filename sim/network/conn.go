package network

import (
	"io"
	"math"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// Conn is a TCP connection through a link. Writes are accepted into an
// emulated send buffer (blocking while it is full) and reach the real
// socket when the model says the far end receives them; their space in
// the buffer frees when the acknowledgement would be back (one down-link
// delay later), so a long round trip limits throughput to about
// SendBuffer/RTT as on a real socket. Reads return data
// when the model says it arrives. Loss is retransmission delay, never a
// hole: bytes arrive late, in order, or the connection is reset and both
// ends see it (the real socket is closed with an RST).
type Conn struct {
	l   *Link
	raw net.Conn

	wmu sync.Mutex // one writer at a time
	rmu sync.Mutex // one reader at a time

	mu       sync.Mutex
	segs     []seg    // queued segments, in order; head first (inline when drained)
	head     int      // index of the first undelivered segment
	base     uint64   // flow number of segs[0]
	queued   int      // bytes accepted and not yet acknowledged
	acks     []ackRec // written batches waiting for their acknowledgement (inline when drained)
	ackHead  int
	ackDelay time.Duration // acknowledgements cross the down direction
	sndbuf   int
	timer    clock.Timer
	flushing bool
	doomed   bool // a fatal segment is queued: nothing more is scheduled
	up, down flow
	// downBefore: arrival of the last byte of the previous read.
	downBefore time.Time
	err        error // terminal: every later call returns it
	closed     bool  // Close was called
	wdl        time.Time
	wake       chan struct{} // space freed or state changed (cap 1)
	blind      bool          // a writer waits without knowing which ack frees its space
	blindNeed  int           // the free space that writer waits for
	ackTimer   clock.Timer   // waitSpace's, reused (one writer at a time)
	readTimer  clock.Timer   // Read's wait for an arrival, reused (one reader at a time)
	done       chan struct{} // closed when the connection ends
	reset      clock.Timer
	bufs       net.Buffers
	wbuf       net.Buffers // what flush is writing (a field: no allocation)
	rel        []*[]byte   // buffers to return once written
	// owners[i] is the pooled buffer bufs[i] lies in, and whether bufs[i]
	// ends it (a socket that takes buffers over returns it then)
	owners  []owner
	handoff handoffWriter // raw, when it takes buffers over (memnet)
	// Small inline arrays that segs and acks fall back to when drained, so
	// that an idle connection holds no queue arrays and a small write
	// (a request head) needs none.
	inlSegs [inlineSegs]seg
	inlAcks [inlineAcks]ackRec
	drained int64 // when the queue last drained (link ns)
	// freed: when the latest acknowledgement reaped freed its bytes (link
	// ns), the moment a writer blocked on a full buffer could go on.
	freed int64
}

// Inline capacities of the queues of a connection.
const (
	inlineSegs = 2
	inlineAcks = 8 // the acknowledgements of one RTT at the runner's 5 ms quantum
	// keepBusy: a queue that drains again within this of its last drain
	// (a writer paced by frames) keeps its arrays; one that was idle
	// longer (a slice upload every few seconds) lets them go when it
	// drains, so that idle connections hold none.
	keepBusy = time.Second
)

// maxChunk bounds one pooled buffer so that segment offsets fit an int32
// (only a send buffer over 2 GiB meets it).
const maxChunk = math.MaxInt32

// ackRec frees n bytes of the send buffer at at (link nanoseconds, see
// Link.ns).
type ackRec struct {
	at int64
	n  int
}

// seg is one queued segment: (*buf)[off:off+n]. Times are link
// nanoseconds (Link.ns): the queue is walked and compared per segment, and
// a time.Time is three words. 40 bytes.
type seg struct {
	buf   *[]byte // the pooled buffer of the Write chunk it was cut from
	due   int64   // arrival, in order
	own   int64   // arrival before in-order clamping
	off   int32
	n     int32
	last  bool // the chunk's last segment: flush returns buf to the pool
	fatal bool // the stall limit ends the connection at due
}

// owner is the pooled buffer of a slice flush writes, and whether the
// slice holds the buffer's last segment.
type owner struct {
	buf  *[]byte
	last bool
}

// handoffWriter is a socket that takes a writer's pooled buffers over
// instead of copying them (memnet.Conn.WriteHandoff): it holds b until it
// has been read and then calls release(buf) once, given with a buffer's
// last part. flush hands its segments' buffers over to one, so the bytes
// are copied once on their way to the peer's reader, not twice.
type handoffWriter interface {
	WriteHandoff(b []byte, buf *[]byte, release func(*[]byte)) (int, error)
}

// bytes is the segment's data.
func (s *seg) bytes() []byte { return (*s.buf)[s.off : s.off+s.n] }

func (l *Link) wrapConn(raw net.Conn) (net.Conn, error) {
	c := &Conn{l: l, raw: raw, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.segs, c.acks = c.inlSegs[:0], c.inlAcks[:0]
	c.handoff, _ = raw.(handoffWriter)
	if !l.track(c) {
		raw.Close()
		return nil, net.ErrClosed
	}
	l.mu.Lock()
	c.sndbuf = l.tp.sndbuf
	rate := l.profile.Connect.Resets.PerSecond()
	var after time.Duration
	if rate > 0 {
		after = time.Duration(l.connR.ExpFloat64() / rate * float64(time.Second))
	}
	l.mu.Unlock()
	if rate > 0 {
		c.reset = l.clk.AfterFunc(after, func() {
			c.l.count(func(s *Stats) { s.Resets++ })
			c.mu.Lock()
			c.failLocked(&Error{Op: "read", Addr: c.addr(), Reason: ReasonReset, Err: syscall.ECONNRESET})
			c.mu.Unlock()
		})
	}
	return c, nil
}

func (c *Conn) addr() string {
	if a := c.raw.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// Write queues b for delivery. It blocks while the emulated send buffer is
// full, until the write deadline (os.ErrDeadlineExceeded) or until the
// connection ends.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.write(b, nil)
}

// ReadFromChunk is the size of the reads of ReadFrom: io.Copy's buffer,
// so that a body copied by ReadFrom is cut into the Writes io.Copy would
// make.
const ReadFromChunk = 32 << 10

// ReadFrom implements io.ReaderFrom: io.Copy's loop (reads of
// ReadFromChunk bytes, each written as one Write) with each read made
// straight into a pooled buffer that the link queues, instead of through
// a copy buffer that Write copies from. The link decides exactly as for
// those Writes.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var total int64
	for {
		buf := getBuf(ReadFromChunk)
		k, rerr := r.Read(*buf)
		if k <= 0 {
			putBuf(buf)
		} else {
			*buf = (*buf)[:k]
			n, werr := c.write(*buf, buf)
			total += int64(n)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// write is Write (c.wmu held). With own non-nil, b is *own, a pooled
// buffer the link takes over: its chunks are queued in place rather than
// copied, and it goes back to the pool after its last segment (or at once
// when nothing of it was queued).
//
// Segments leave when the writer hands them over, except after a wait for
// send-buffer space: a writer blocked on a full buffer goes on the moment
// an acknowledgement frees it (on a kernel socket the data is already
// there to send), so they leave when the acknowledgement came, not when
// the writer's goroutine got to run again. Otherwise the host's
// scheduling delay would add to every round trip and a busy simulator
// would make its links slower than their model.
func (c *Conn) write(b []byte, own *[]byte) (int, error) {
	n := 0
	c.mu.Lock()
	start := c.l.ns(c.l.clk.Now())
	waited := false
	for n < len(b) {
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			c.dropOwned(own, n)
			return n, err
		}
		if c.closed {
			c.mu.Unlock()
			c.dropOwned(own, n)
			return n, &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}
		}
		now := c.l.ns(c.l.clk.Now())
		c.reapLocked(now)
		space := c.sndbuf - c.queued
		// Like a kernel socket, a blocked writer wakes when a third of
		// the buffer is free (or its whole rest fits), not for every
		// acknowledged segment: fewer, larger chunks, one wait per third.
		if need := min(len(b)-n, max(1, c.sndbuf/3)); space < need {
			dl := c.wdl
			next := c.ackFreeingLocked(need - space)
			c.blind, c.blindNeed = next.IsZero(), need
			c.mu.Unlock()
			err := c.waitSpace(dl, next)
			c.mu.Lock()
			c.blind, waited = false, true
			if err != nil {
				c.mu.Unlock()
				c.dropOwned(own, n)
				return n, err
			}
			continue
		}
		k := min(space, len(b)-n, maxChunk)
		depart := now
		if waited {
			depart = max(start, min(now, c.freed))
		}
		if own != nil {
			c.scheduleLocked(depart, own, n, k, n+k == len(b))
		} else {
			buf := getBuf(k)
			copy(*buf, b[n:n+k])
			c.scheduleLocked(depart, buf, 0, k, true)
		}
		c.queued += k
		n += k
	}
	c.mu.Unlock()
	return n, nil
}

// dropOwned returns a taken-over buffer of which the first queued bytes
// were queued when a write ends early: to the pool if none were (nothing
// refers to it), else to the collector (queued segments still do).
func (c *Conn) dropOwned(own *[]byte, queued int) {
	if own != nil && queued == 0 {
		putBuf(own)
	}
}

// ackFreeingLocked is when the acknowledgements known so far free at
// least n more bytes (zero: not before more data is written out). c.mu
// held.
func (c *Conn) ackFreeingLocked(n int) time.Time {
	freed := 0
	for _, a := range c.acks[c.ackHead:] {
		if freed += a.n; freed >= n {
			return c.l.at(a.at)
		}
	}
	return time.Time{}
}

// waitSpace waits for send-buffer space: an acknowledgement due at next
// (if not zero), a flush, the end of the connection or the deadline. The
// acknowledgement timer is the connection's own, re-armed for each wait
// (a writer of a slice waits some thirty times).
func (c *Conn) waitSpace(dl, next time.Time) error {
	var ack <-chan time.Time
	if !next.IsZero() {
		d := next.Sub(c.l.clk.Now())
		if d <= 0 {
			return nil
		}
		if c.ackTimer == nil {
			c.ackTimer = c.l.clk.NewTimer(d)
		} else {
			c.ackTimer.Reset(d)
		}
		defer c.stopAckTimer()
		ack = c.ackTimer.C()
	}
	var tc <-chan time.Time
	if !dl.IsZero() {
		d := dl.Sub(c.l.clk.Now())
		if d <= 0 {
			return &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}
		}
		t := c.l.clk.NewTimer(d)
		defer t.Stop()
		tc = t.C()
	}
	select {
	case <-c.wake:
	case <-ack:
	case <-c.done:
	case <-tc:
		return &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	return nil
}

// stopAckTimer stops the acknowledgement timer (stopTimer).
func (c *Conn) stopAckTimer() { stopTimer(c.ackTimer) }

// stopTimer stops a reused timer and drops a firing nobody received, so
// that its next wait does not take it for its own (one that slips past
// lands as a spurious wake-up: a writer only looks again).
func stopTimer(t clock.Timer) {
	if !t.Stop() {
		select {
		case <-t.C():
		default:
		}
	}
}

// scheduleLocked decides the arrival of every segment of (*buf)[at:at+n]
// (a chunk of a Write) handed to the path at depart (link ns); last: the
// chunk ends buf, whose last segment returns it to the pool. c.mu held.
func (c *Conn) scheduleLocked(depart int64, buf *[]byte, at, n int, last bool) {
	data := (*buf)[:at+n]
	wasEmpty := c.head == len(c.segs)
	rearm := false
	if !c.doomed {
		now := c.l.at(depart)
		l := c.l
		l.mu.Lock()
		l.refreshCap(&c.up, l.tp.capUp)
		mss := l.tp.mss
		c.sndbuf = l.tp.sndbuf
		c.ackDelay = l.tp.ackDelay
		c.reserveLocked((n + mss - 1) / mss)
		for off := at; off < len(data); off += mss {
			k := min(mss, len(data)-off)
			f := l.up.segment(now, k, &c.up, &l.tp)
			c.segs = append(c.segs, seg{buf: buf, off: int32(off), n: int32(k),
				due: l.ns(f.due), own: l.ns(f.own), fatal: f.stalled, last: last && off+mss >= len(data)})
			if f.stalled {
				c.doomed = true
				break
			}
			for _, r := range c.up.follow(f, l.tp.rtt) {
				if c.repairLocked(r.n, r.own) {
					rearm = true
				}
				l.up.fastRetransmitted()
			}
		}
		l.mu.Unlock()
	} else if last && at == 0 {
		putBuf(buf) // nothing more is scheduled: the bytes go nowhere
	} // (a chunk after the first of a taken-over buffer: earlier chunks may still refer to it)
	if c.head < len(c.segs) && (wasEmpty || rearm) && !c.flushing {
		c.armLocked()
	}
}

// reserveLocked makes room for n more segments: one allocation for a
// whole send buffer's worth rather than append's doublings, and the
// inline array let go of (its stale entries would pin pooled buffers).
// c.mu held.
func (c *Conn) reserveLocked(n int) {
	if cap(c.segs)-len(c.segs) >= n {
		return
	}
	want := max(2*cap(c.segs), len(c.segs)+n, c.sndbuf/c.l.tp.mss+8)
	segs := getSegs(want)[:len(c.segs)]
	copy(segs, c.segs)
	if cap(c.segs) == inlineSegs {
		clear(c.inlSegs[:])
	} else {
		putSegs(c.segs)
	}
	c.segs = segs
}

// repairLocked brings segment n's arrival forward to own (a fast
// retransmit) and re-derives the in-order arrivals after it. It reports
// whether the head of the queue moved. c.mu held.
func (c *Conn) repairLocked(n uint64, own time.Time) bool {
	if n < c.base || n-c.base >= uint64(len(c.segs)) || int(n-c.base) < c.head {
		return false
	}
	i := int(n - c.base)
	c.segs[i].own = c.l.ns(own)
	last := int64(math.MinInt64)
	if i > c.head {
		last = c.segs[i-1].due
	}
	for j := i; j < len(c.segs); j++ {
		s := &c.segs[j]
		if !s.fatal {
			s.due = s.own
		}
		if s.due < last {
			s.due = last
		}
		last = s.due
	}
	c.up.last = c.l.at(last)
	return i == c.head
}

// armLocked sets the timer for the head segment. c.mu held.
func (c *Conn) armLocked() { c.armAtLocked(c.l.ns(c.l.clk.Now())) }

// armAtLocked is armLocked at now (link nanoseconds). c.mu held.
func (c *Conn) armAtLocked(now int64) {
	d := time.Duration(c.l.flushNs(c.segs[c.head].due) - now)
	if c.timer == nil {
		c.timer = c.l.clk.AfterFunc(d, c.flush)
	} else {
		c.timer.Reset(d)
	}
}

// flush writes every segment that has fallen due to the real socket, in
// order, and re-arms the timer for the next one.
func (c *Conn) flush() {
	c.mu.Lock()
	if c.flushing || c.err != nil {
		c.mu.Unlock()
		return
	}
	c.flushing = true
	// now is read once per pass: after a write, the reading that reaps the
	// acknowledgements also finds the segments due next and arms the timer
	now := c.l.ns(c.l.clk.Now())
	for {
		bufs := c.bufs[:0]
		bytes, fatal := 0, false
		var lastDue int64
		var prev *[]byte // the buffer of bufs' last slice
		prevEnd := int32(0)
		for c.head < len(c.segs) && c.segs[c.head].due <= now {
			s := &c.segs[c.head]
			if s.fatal {
				fatal = true
				break
			}
			// segments cut from one Write's buffer lie end to end: one
			// slice for them all, so that the real socket gets one write
			// per buffer, not one per segment (memnet has no writev)
			if k := len(bufs) - 1; k >= 0 && s.buf == prev && s.off == prevEnd {
				bufs[k] = bufs[k][:len(bufs[k])+int(s.n)]
			} else {
				bufs = append(bufs, s.bytes())
				if c.handoff != nil {
					c.owners = append(c.owners, owner{buf: s.buf})
				}
			}
			prev, prevEnd = s.buf, s.off+s.n
			bytes += int(s.n)
			lastDue = s.due
			if s.last {
				if c.handoff != nil {
					c.owners[len(c.owners)-1].last = true
				} else {
					c.rel = append(c.rel, s.buf)
				}
			}
			*s = seg{}
			c.head++
		}
		c.compactLocked(now)
		if bytes == 0 && !fatal {
			c.flushing = false
			switch {
			case c.head < len(c.segs):
				c.armAtLocked(now)
			case c.closed:
				c.finishLocked(nil)
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		var err error
		switch {
		case bytes > 0 && c.handoff != nil:
			err = c.handOver(bufs)
		case bytes > 0:
			c.wbuf = bufs
			_, err = c.wbuf.WriteTo(c.raw)
			c.wbuf = nil
		}
		clear(bufs)
		c.mu.Lock()
		for i, b := range c.rel {
			putBuf(b)
			c.rel[i] = nil
		}
		c.rel = c.rel[:0]
		c.bufs = bufs[:0]
		if bytes > 0 {
			if len(c.acks) == cap(c.acks) && cap(c.acks) == inlineAcks {
				c.acks = append(make([]ackRec, 0, 64), c.acks...)
			}
			c.acks = append(c.acks, ackRec{at: lastDue + int64(c.ackDelay), n: bytes})
		}
		now = c.l.ns(c.l.clk.Now())
		if bytes > 0 {
			c.reapLocked(now)
		}
		if c.blind && c.blindFreedLocked() { // a writer waits for acknowledgements not known until now
			select {
			case c.wake <- struct{}{}:
			default:
			}
		}
		if err == nil && fatal {
			c.l.count(func(s *Stats) { s.StallResets++ })
			err = &Error{Op: "write", Addr: c.addr(), Reason: ReasonStall, Err: syscall.ECONNRESET}
		}
		if err != nil {
			c.failLocked(err)
			c.flushing = false
			c.mu.Unlock()
			return
		}
	}
}

// handOver writes bufs to a socket that takes their buffers over: each
// buffer goes back to the pool when the socket has let go of it. After an
// error the buffers not handed over are left to the collector (the
// connection fails; segments still queued may share them).
func (c *Conn) handOver(bufs net.Buffers) error {
	var err error
	for i, b := range bufs {
		o := c.owners[i]
		rel := putBuf
		if !o.last {
			rel = nil
		}
		if err == nil {
			_, err = c.handoff.WriteHandoff(b, o.buf, rel)
		}
	}
	clear(c.owners)
	c.owners = c.owners[:0]
	return err
}

// blindFreedLocked reports whether the acknowledgements known now free the
// space a blind writer waits for, or some of it is free already: then it
// wakes to wait for the right one. Waking it at every flush before that
// only had it find nothing and wait again. c.mu held.
func (c *Conn) blindFreedLocked() bool {
	deficit := c.blindNeed - (c.sndbuf - c.queued)
	return deficit <= 0 || !c.ackFreeingLocked(deficit).IsZero()
}

// reapLocked frees the send-buffer space of batches acknowledged by now.
// c.mu held.
func (c *Conn) reapLocked(now int64) {
	for c.ackHead < len(c.acks) && c.acks[c.ackHead].at <= now {
		c.queued -= c.acks[c.ackHead].n
		c.freed = c.acks[c.ackHead].at
		c.ackHead++
	}
	switch {
	case c.ackHead == len(c.acks):
		c.acks, c.ackHead = c.acks[:0], 0
		if cap(c.segs) == inlineSegs { // the queue let go of its arrays
			c.acks = c.inlAcks[:0]
		}
	case c.ackHead >= 32 && 2*c.ackHead >= len(c.acks):
		k := copy(c.acks, c.acks[c.ackHead:])
		c.acks, c.ackHead = c.acks[:k], 0
	}
}

func (c *Conn) compactLocked(now int64) {
	switch {
	case c.head == len(c.segs):
		// drained (the segments are cleared): a queue idle before this
		// burst goes back to the inline arrays
		c.base += uint64(c.head)
		c.segs, c.head = c.segs[:0], 0
		if now-c.drained >= int64(keepBusy) {
			if cap(c.segs) > inlineSegs {
				putSegs(c.segs)
			}
			c.segs = c.inlSegs[:0]
			if n := len(c.acks) - c.ackHead; cap(c.acks) > inlineAcks && n <= inlineAcks {
				k := copy(c.inlAcks[:], c.acks[c.ackHead:])
				c.acks, c.ackHead = c.inlAcks[:k], 0
			}
		}
		c.drained = now
	case c.head >= 32 && 2*c.head >= len(c.segs):
		k := copy(c.segs, c.segs[c.head:])
		clear(c.segs[k:])
		c.base += uint64(c.head)
		c.segs, c.head = c.segs[:k], 0
	}
}

// failLocked ends the connection with err: queued data is discarded and
// the real socket is reset so that the peer sees it too. c.mu held.
func (c *Conn) failLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if tc, ok := c.raw.(interface{ SetLinger(int) error }); ok { // TCP, memnet
		tc.SetLinger(0) // close with RST
	}
	c.finishLocked(err)
}

// finishLocked releases everything. c.mu held.
func (c *Conn) finishLocked(err error) {
	select {
	case <-c.done:
		return
	default:
	}
	if c.err == nil {
		c.err = err
	}
	clear(c.segs)
	c.base += uint64(len(c.segs))
	c.segs, c.head, c.queued = c.inlSegs[:0], 0, 0
	c.acks, c.ackHead = c.inlAcks[:0], 0
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.reset != nil {
		c.reset.Stop()
	}
	c.raw.Close()
	close(c.done)
	c.l.untrack(c)
}

// Read returns data from the real socket once the model says it arrived.
func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if err := c.endErr("read"); err != nil {
		return 0, err
	}
	n, err := c.raw.Read(b)
	if n > 0 {
		now := c.l.clk.Now()
		l := c.l
		l.mu.Lock()
		l.refreshCap(&c.down, l.tp.capDown)
		mss := l.tp.mss
		// The segments of this read: a fast retransmit among them moves
		// the arrival of the read's last byte.
		first := c.down.n
		var own [32]time.Time
		var due time.Time
		stalled := false
		for off := 0; off < n && !stalled; off += mss {
			f := l.down.segment(now, min(mss, n-off), &c.down, &l.tp)
			if k := c.down.n - first; k < uint64(len(own)) {
				own[k] = f.own
			}
			due, stalled = f.due, f.stalled
			if !stalled {
				for _, r := range c.down.follow(f, l.tp.rtt) {
					if r.n >= first && r.n-first < uint64(len(own)) {
						own[r.n-first] = r.own
						l.down.fastRetransmitted()
					}
				}
			}
		}
		if !stalled && c.down.n-first <= uint64(len(own)) {
			// Re-derive in order from the (possibly repaired) arrivals.
			due = time.Time{}
			for _, t := range own[:c.down.n-first] {
				if t.After(due) {
					due = t
				}
			}
			if due.Before(c.downBefore) {
				due = c.downBefore
			}
			c.down.last = due
		}
		c.downBefore = due
		l.mu.Unlock()
		if d := due.Sub(c.l.clk.Now()); d > 0 {
			// the connection's own arrival timer, re-armed per read
			if c.readTimer == nil {
				c.readTimer = c.l.clk.NewTimer(d)
			} else {
				c.readTimer.Reset(d)
			}
			select {
			case <-c.readTimer.C():
			case <-c.done:
				stopTimer(c.readTimer)
				return 0, c.endErr("read")
			}
		}
		if stalled {
			c.l.count(func(s *Stats) { s.StallResets++ })
			c.mu.Lock()
			c.failLocked(&Error{Op: "read", Addr: c.addr(), Reason: ReasonStall, Err: syscall.ECONNRESET})
			c.mu.Unlock()
			return 0, c.endErr("read")
		}
	}
	if err != nil {
		if e := c.endErr("read"); e != nil {
			return n, e
		}
	}
	return n, err
}

// endErr is the error a call meets on an ended connection, or nil.
func (c *Conn) endErr(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return &net.OpError{Op: op, Net: "tcp", Err: net.ErrClosed}
	}
	return nil
}

// Close closes the connection. Data still queued is delivered on schedule
// first, as a real socket's close does, then the real socket is closed.
// Reads return at once.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return &net.OpError{Op: "close", Net: "tcp", Err: net.ErrClosed}
	}
	c.closed = true
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if c.err != nil {
		return nil
	}
	if c.head == len(c.segs) && !c.flushing {
		c.finishLocked(nil)
		return nil
	}
	// Unblock a reader; the flusher closes the socket after the last byte.
	c.raw.SetReadDeadline(time.Unix(1, 0))
	return nil
}

func (c *Conn) abort() {
	c.mu.Lock()
	c.closed = true
	c.finishLocked(&net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed})
	c.mu.Unlock()
}

// Buffered is the number of bytes in the emulated send buffer (what
// SIOCOUTQ would report on a device): accepted and not yet acknowledged.
func (c *Conn) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reapLocked(c.l.ns(c.l.clk.Now()))
	return c.queued
}

// LocalAddr is the real socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr is the real socket's remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.SetWriteDeadline(t)
	return c.SetReadDeadline(t)
}

// SetReadDeadline applies to waiting for the real socket; the deadline is
// on the real socket's (wall) clock.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// SetWriteDeadline bounds how long Write waits for send-buffer space, on
// the link's clock.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdl = t
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// nextAck is when the next acknowledgement frees send-buffer space.
func (c *Conn) nextAck() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ackHead < len(c.acks) {
		return c.l.at(c.acks[c.ackHead].at), true
	}
	return time.Time{}, false
}
