package memnet

import "sync"

// chunkSize is the unit of buffer memory: a direction holds
// ceil(buffered/chunkSize) pooled chunks, none while it is empty. Small,
// because a fleet's connections mostly hold a segment or two each.
const chunkSize = 4 << 10

type chunk [chunkSize]byte

// pipe is one direction of a connection: a bounded byte queue of pieces
// with the state both ends share. A piece is either a pooled chunk that
// written bytes were copied into, or a part of a writer's buffer handed
// over without a copy (Conn.WriteHandoff). Every field is guarded by mu.
type pipe struct {
	mu    sync.Mutex
	pool  *sync.Pool
	limit int

	pieces []piece // pieces[head:] hold the data, oldest first
	head   int
	n      int // bytes buffered

	eof     bool // the writing end shut down: the reader gets io.EOF after the data
	gone    bool // the reading end closed: writes fail
	discard bool // the reading end shut down reading: writes are dropped, reads see io.EOF
	reset   bool // the writing end closed with a reset: reads fail with ECONNRESET

	rwait, wwait       bool          // a reader / writer is blocked
	rneed              int           // bytes the blocked reader waits for (its low-water mark)
	readable, writable chan struct{} // capacity 1: wake the blocked reader / writer
}

// piece is unread bytes b of a pooled chunk c or of a handed-over buffer
// buf, which rel returns once the piece is read or dropped (rel nil: a
// later piece of buf carries it). b's capacity runs to the end of the
// chunk or buffer, so that the next bytes written into it extend it.
type piece struct {
	b   []byte
	c   *chunk
	buf *[]byte
	rel func(*[]byte)
}

func newPipe(pool *sync.Pool, limit int) *pipe {
	return &pipe{pool: pool, limit: limit, readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

// push appends a piece, compacting the queue when its head half is spent.
func (q *pipe) push(p piece) {
	if q.head > 0 && q.head*2 >= len(q.pieces) {
		k := copy(q.pieces, q.pieces[q.head:])
		clear(q.pieces[k:])
		q.pieces, q.head = q.pieces[:k], 0
	}
	q.pieces = append(q.pieces, p)
}

// put copies as much of p as the limit allows and returns how much.
func (q *pipe) put(p []byte) int {
	total := 0
	for len(p) > 0 && q.n < q.limit {
		var tail *piece
		if k := len(q.pieces); k > q.head {
			tail = &q.pieces[k-1]
		}
		if tail == nil || tail.c == nil || len(tail.b) == cap(tail.b) {
			c := q.pool.Get().(*chunk)
			q.push(piece{b: c[:0], c: c})
			tail = &q.pieces[len(q.pieces)-1]
		}
		w := len(tail.b)
		k := copy(tail.b[w:min(cap(tail.b), w+q.limit-q.n)], p)
		tail.b = tail.b[:w+k]
		q.n += k
		total += k
		p = p[k:]
	}
	return total
}

// handoff queues as much of b (a part of *buf) as the limit allows without
// copying it and returns how much; rel goes with the piece only when all
// of b is taken. A part that continues the tail piece's part of the same
// buffer extends that piece (a link hands a buffer over a few segments per
// flush: one piece per buffer, not per flush).
func (q *pipe) handoff(b []byte, buf *[]byte, rel func(*[]byte)) int {
	k := min(len(b), q.limit-q.n)
	if k <= 0 {
		return 0
	}
	if k < len(b) {
		rel = nil
	}
	q.n += k
	if n := len(q.pieces); n > q.head {
		if t := &q.pieces[n-1]; t.buf == buf && t.rel == nil && follows(t.b, b) {
			t.b = t.b[:len(t.b)+k]
			t.rel = rel
			return k
		}
	}
	q.push(piece{b: b[:k], buf: buf, rel: rel})
	return k
}

// follows reports whether b starts in memory right where a ends, within
// a's capacity (so a[:len(a)+len(b)] covers both).
func follows(a, b []byte) bool {
	return cap(a)-len(a) >= len(b) && len(b) > 0 && &a[:len(a)+1][len(a)] == &b[0]
}

// adopt makes the last queued piece of buf carry rel, or runs rel at once
// when none is queued: a handoff that failed after queuing part of its
// bytes (or none) still returns buf exactly once.
func (q *pipe) adopt(buf *[]byte, rel func(*[]byte)) {
	if rel == nil {
		return
	}
	for i := len(q.pieces) - 1; i >= q.head; i-- {
		if q.pieces[i].buf == buf {
			q.pieces[i].rel = rel
			return
		}
	}
	rel(buf)
}

// get copies buffered bytes into b and returns how many; pieces it empties
// go back to the pool or their owner.
func (q *pipe) get(b []byte) int {
	total := 0
	for len(b) > 0 && q.n > 0 {
		h := &q.pieces[q.head]
		k := copy(b, h.b)
		h.b = h.b[k:]
		q.n -= k
		total += k
		b = b[k:]
		if len(h.b) == 0 {
			q.popHead()
		}
	}
	return total
}

func (q *pipe) popHead() {
	h := &q.pieces[q.head]
	if h.c != nil {
		q.pool.Put(h.c)
	}
	if h.rel != nil {
		h.rel(h.buf)
	}
	*h = piece{}
	q.head++
	if q.head == len(q.pieces) {
		q.pieces, q.head = q.pieces[:0], 0
	}
}

// held is how many pieces (chunks, handed-over buffers) the pipe holds.
func (q *pipe) held() int { return len(q.pieces) - q.head }

// release drops whatever is buffered.
func (q *pipe) release() {
	for q.held() > 0 {
		q.popHead()
	}
	q.n = 0
}

// wakeReader and wakeWriter hand the blocked reader or writer one token;
// q.mu held. A token left behind only causes one extra pass of its loop.
func (q *pipe) wakeReader() {
	if q.rwait {
		q.rwait = false
		signal(q.readable)
	}
}

// wakeReaderData wakes the blocked reader once the data it waits for is
// buffered (new data arrived); q.mu held.
func (q *pipe) wakeReaderData() {
	if q.rwait && q.n >= q.rneed {
		q.rwait = false
		signal(q.readable)
	}
}

func (q *pipe) wakeWriter() {
	if q.wwait {
		q.wwait = false
		signal(q.writable)
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
