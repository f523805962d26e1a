package memnet

import "sync"

// chunkSize is the unit of buffer memory: a direction holds
// ceil(buffered/chunkSize) pooled chunks, none while it is empty. Small,
// because a fleet's connections mostly hold a segment or two each.
const chunkSize = 4 << 10

type chunk [chunkSize]byte

// pipe is one direction of a connection: a bounded byte queue of pooled
// chunks with the state both ends share. Every field is guarded by mu.
type pipe struct {
	mu    sync.Mutex
	pool  *sync.Pool
	limit int

	chunks []*chunk // chunks[head:] hold the data, oldest first
	head   int
	r, w   int // read offset in chunks[head], write offset in the last chunk
	n      int // bytes buffered

	eof     bool // the writing end shut down: the reader gets io.EOF after the data
	gone    bool // the reading end closed: writes fail
	discard bool // the reading end shut down reading: writes are dropped, reads see io.EOF
	reset   bool // the writing end closed with a reset: reads fail with ECONNRESET

	rwait, wwait       bool          // a reader / writer is blocked
	rneed              int           // bytes the blocked reader waits for (its low-water mark)
	readable, writable chan struct{} // capacity 1: wake the blocked reader / writer
}

func newPipe(pool *sync.Pool, limit int) *pipe {
	return &pipe{pool: pool, limit: limit, readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

// put copies as much of p as the limit allows and returns how much.
func (q *pipe) put(p []byte) int {
	total := 0
	for len(p) > 0 && q.n < q.limit {
		if q.head == len(q.chunks) || q.w == chunkSize {
			if q.head > 0 && q.head*2 >= len(q.chunks) {
				k := copy(q.chunks, q.chunks[q.head:])
				clear(q.chunks[k:])
				q.chunks, q.head = q.chunks[:k], 0
			}
			q.chunks = append(q.chunks, q.pool.Get().(*chunk))
			q.w = 0
		}
		tail := q.chunks[len(q.chunks)-1]
		end := min(chunkSize, q.w+q.limit-q.n)
		k := copy(tail[q.w:end], p)
		q.w += k
		q.n += k
		total += k
		p = p[k:]
	}
	return total
}

// get copies buffered bytes into b and returns how many; chunks it empties
// go back to the pool.
func (q *pipe) get(b []byte) int {
	total := 0
	for len(b) > 0 && q.n > 0 {
		h := q.chunks[q.head]
		end := chunkSize
		if q.head == len(q.chunks)-1 {
			end = q.w
		}
		k := copy(b, h[q.r:end])
		q.r += k
		q.n -= k
		total += k
		b = b[k:]
		if q.r == end {
			q.popHead()
		}
	}
	return total
}

func (q *pipe) popHead() {
	q.pool.Put(q.chunks[q.head])
	q.chunks[q.head] = nil
	q.head++
	q.r = 0
	if q.head == len(q.chunks) {
		q.chunks, q.head, q.w = q.chunks[:0], 0, 0
	}
}

// held is how many chunks the pipe holds.
func (q *pipe) held() int { return len(q.chunks) - q.head }

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
