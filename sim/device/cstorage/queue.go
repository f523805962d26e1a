package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/units"
)

// frameQueue is a FIFO of frames with the device UTC (unix ns) at which
// each was pushed. It backs the send buffer and the pre-record ring; popped
// slots are reused, so a steady stream allocates nothing. Each entry keeps
// the frame's size, so popping does not walk its NAL units again, and
// frame, time and size share one array (one cache line, not three).
type frameQueue struct {
	q     []queued
	head  int
	bytes units.ByteSize
}

type queued struct {
	f    *av.Frame
	utc  int64
	size units.ByteSize
}

func (q *frameQueue) len() int { return len(q.q) - q.head }

// push queues f; size is sizeOf(f).
func (q *frameQueue) push(f *av.Frame, utc int64) { q.pushSized(f, utc, sizeOf(f)) }

// pushSized is push for a frame whose size the caller has.
func (q *frameQueue) pushSized(f *av.Frame, utc int64, size units.ByteSize) {
	if q.head > 0 && q.head == len(q.q) {
		q.q, q.head = q.q[:0], 0
	} else if q.head > 64 && q.head*2 > len(q.q) {
		n := copy(q.q, q.q[q.head:])
		clear(q.q[n:])
		q.q, q.head = q.q[:n], 0
	}
	q.q = append(q.q, queued{f: f, utc: utc, size: size})
	q.bytes += size
}

func (q *frameQueue) peek(i int) (*av.Frame, int64) {
	e := &q.q[q.head+i]
	return e.f, e.utc
}

func (q *frameQueue) pop() (*av.Frame, int64) {
	e := &q.q[q.head]
	f, u := e.f, e.utc
	q.bytes -= e.size
	*e = queued{}
	q.head++
	return f, u
}

// each calls fn for every queued frame, oldest first.
func (q *frameQueue) each(fn func(*av.Frame)) {
	for _, e := range q.q[q.head:] {
		fn(e.f)
	}
}

func (q *frameQueue) reset() {
	clear(q.q)
	q.q, q.head, q.bytes = q.q[:0], 0, 0
}

func sizeOf(f *av.Frame) units.ByteSize { return units.ByteSize(f.Size()) }
