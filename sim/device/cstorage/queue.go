package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/units"
)

// frameQueue is a FIFO of frames with the device UTC (unix ns) at which
// each was pushed. It backs the send buffer and the pre-record ring; popped
// slots are reused, so a steady stream allocates nothing.
type frameQueue struct {
	frames []*av.Frame
	utc    []int64
	head   int
	bytes  units.ByteSize
}

func (q *frameQueue) len() int { return len(q.frames) - q.head }

func (q *frameQueue) push(f *av.Frame, utc int64) {
	if q.head > 0 && q.head == len(q.frames) {
		q.frames, q.utc, q.head = q.frames[:0], q.utc[:0], 0
	} else if q.head > 64 && q.head*2 > len(q.frames) {
		n := copy(q.frames, q.frames[q.head:])
		copy(q.utc, q.utc[q.head:])
		clear(q.frames[n:])
		q.frames, q.utc, q.head = q.frames[:n], q.utc[:n], 0
	}
	q.frames = append(q.frames, f)
	q.utc = append(q.utc, utc)
	q.bytes += units.ByteSize(f.Size())
}

func (q *frameQueue) peek(i int) (*av.Frame, int64) { return q.frames[q.head+i], q.utc[q.head+i] }

func (q *frameQueue) pop() (*av.Frame, int64) {
	f, u := q.frames[q.head], q.utc[q.head]
	q.frames[q.head] = nil
	q.head++
	q.bytes -= units.ByteSize(f.Size())
	return f, u
}

// each calls fn for every queued frame, oldest first.
func (q *frameQueue) each(fn func(*av.Frame)) {
	for _, f := range q.frames[q.head:] {
		fn(f)
	}
}

func (q *frameQueue) reset() {
	clear(q.frames)
	q.frames, q.utc, q.head, q.bytes = q.frames[:0], q.utc[:0], 0, 0
}

func sizeOf(f *av.Frame) units.ByteSize { return units.ByteSize(f.Size()) }
