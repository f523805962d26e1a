package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/units"
)

// frameQueue is a FIFO of frames with the device UTC (unix ns) at which
// each was pushed. It backs the send buffer and the pre-record ring.
//
// It keeps copies: a frame's fields by value, and its NAL unit list in the
// queue's own FIFO of unit references (the bytes themselves by
// reference). The caller may reuse the frame and its list once push
// returns (a device's source lends one frame for all), and popped slots
// of both FIFOs are reused, so a steady stream allocates nothing. Each
// entry keeps the frame's size, so popping does not walk its NAL units
// again.
type frameQueue struct {
	q     []queued
	head  int
	units [][]byte // NAL unit references; entry e's are units[e.u : e.u+e.n]
	bytes units.ByteSize
	// peak is the most entries held since the queue last emptied.
	peak int
	// out is the frame peek and pop return: valid until the next call on
	// the queue.
	out av.Frame
}

// keepQueued is the most frames a drained queue keeps room for: more than
// a steady stream buffers while a slice uploads (about 40 frames).
const keepQueued = 256

type queued struct {
	f    av.Frame // NALUs nil: they are in units
	u, n int32
	utc  int64
	size units.ByteSize
}

func (q *frameQueue) len() int { return len(q.q) - q.head }

// push queues a copy of f; size is sizeOf(f).
func (q *frameQueue) push(f *av.Frame, utc int64) { q.pushSized(f, utc, sizeOf(f)) }

// pushSized is push for a frame whose size the caller has.
func (q *frameQueue) pushSized(f *av.Frame, utc int64, size units.ByteSize) {
	switch {
	case q.head > 0 && q.head == len(q.q):
		q.empty()
	case q.head > 64 && q.head*2 > len(q.q):
		// move the live entries and their units to the front
		u0 := q.q[q.head].u
		n := copy(q.q, q.q[q.head:])
		clear(q.q[n:])
		q.q, q.head = q.q[:n], 0
		k := copy(q.units, q.units[u0:])
		clear(q.units[k:])
		q.units = q.units[:k]
		for i := range q.q {
			q.q[i].u -= u0
		}
	}
	e := queued{f: *f, u: int32(len(q.units)), n: int32(len(f.NALUs)), utc: utc, size: size}
	e.f.NALUs = nil
	q.units = append(q.units, f.NALUs...)
	q.q = append(q.q, e)
	q.bytes += size
	q.peak = max(q.peak, len(q.q)-q.head)
}

// frame is entry e as a frame (in q.out).
func (q *frameQueue) frame(e *queued) *av.Frame {
	q.out = e.f
	if e.n > 0 {
		q.out.NALUs = q.units[e.u : e.u+e.n : e.u+e.n]
	}
	return &q.out
}

// peek is the i-th frame from the head: valid until the next call on q.
func (q *frameQueue) peek(i int) (*av.Frame, int64) {
	e := &q.q[q.head+i]
	return q.frame(e), e.utc
}

// pop takes the head frame off: valid until the next call on q.
func (q *frameQueue) pop() (*av.Frame, int64) {
	e := &q.q[q.head]
	f, u := q.frame(e), e.utc
	q.bytes -= e.size
	*e = queued{} // its units stay until the queue compacts (f refers to them)
	q.head++
	return f, u
}

// each calls fn for every queued frame, oldest first (the frame is valid
// during the call).
func (q *frameQueue) each(fn func(*av.Frame)) {
	for i := q.head; i < len(q.q); i++ {
		fn(q.frame(&q.q[i]))
	}
}

// reset empties the queue and lets its arrays go.
func (q *frameQueue) reset() {
	*q = frameQueue{}
}

// empty drops every entry. A queue that grew past keepQueued frames lets
// its arrays go, rather than hold them for good, once they are more than
// four times what it held since it last emptied: an outage's backlog is
// let go after the first small fill that follows it, while a queue that
// fills as far each time (uploads that lag behind a busy simulator) keeps
// its arrays instead of growing them again from nothing on every fill.
func (q *frameQueue) empty() {
	if cap(q.q) > keepQueued && cap(q.q) > 4*q.peak {
		q.q, q.units = nil, nil
	} else {
		clear(q.q)
		clear(q.units)
		q.q, q.units = q.q[:0], q.units[:0]
	}
	q.head, q.peak = 0, 0
}

func sizeOf(f *av.Frame) units.ByteSize { return units.ByteSize(f.Size()) }
