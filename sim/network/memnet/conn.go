package memnet

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Conn is one end of an in-memory stream connection. It is a net.Conn and
// has the half-close methods of *net.TCPConn (CloseWrite, CloseRead) and
// SetLinger (0: Close resets the connection, the peer's reads fail with
// ECONNRESET and unread data is discarded).
type Conn struct {
	stats        *counters
	rd, wr       *pipe // rd carries peer→this end, wr this end→peer
	laddr, raddr *net.TCPAddr

	rmu, wmu sync.Mutex // one Read and one Write at a time, like a socket
	rdl, wdl deadline

	closeOnce sync.Once
	done      chan struct{} // closed by Close
	closed    atomic.Bool   // set by Close before done is closed: the fast check

	mu     sync.Mutex
	linger int // -1: default (graceful); 0: reset on Close

	lowat atomic.Int64 // SetReadLowWater: ≤ 1 is the default
}

// pair makes the two ends of a connection.
func pair(n *Network, a, b *net.TCPAddr) (*Conn, *Conn) {
	ab, ba := newPipe(&n.pool, n.opt.BufferSize), newPipe(&n.pool, n.opt.BufferSize)
	x := &Conn{stats: &n.stats, rd: ba, wr: ab, laddr: a, raddr: b, done: make(chan struct{}), linger: -1}
	y := &Conn{stats: &n.stats, rd: ab, wr: ba, laddr: b, raddr: a, done: make(chan struct{}), linger: -1}
	return x, y
}

// Read reads what is buffered, blocking until something is (or EOF, an
// error, the read deadline or Close).
func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	q := c.rd
	need := 1
	if lw := c.lowat.Load(); lw > 1 {
		need = int(min(int64(len(b)), lw, int64(q.limit)))
	}
	for {
		if c.closed.Load() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		if _, expired := c.rdl.state(); expired {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		q.mu.Lock()
		switch {
		case q.reset:
			q.mu.Unlock()
			return 0, c.opErr("read", os.NewSyscallError("read", syscall.ECONNRESET))
		case q.discard:
			q.mu.Unlock()
			return 0, io.EOF
		case len(b) == 0:
			q.mu.Unlock()
			return 0, nil
		case q.n >= need || q.n > 0 && q.eof:
			k := q.get(b)
			q.wakeWriter()
			q.mu.Unlock()
			return k, nil
		case q.eof:
			q.mu.Unlock()
			return 0, io.EOF
		}
		q.rwait, q.rneed = true, max(need, 1)
		q.mu.Unlock()
		// the deadline is read after rwait is set: a deadline set from now
		// on finds rwait and wakes this call (SetReadDeadline)
		dl, expired := c.rdl.state()
		if expired {
			continue
		}
		select {
		case <-q.readable:
		case <-dl:
		case <-c.done:
		}
	}
}

// Write copies b into the connection, blocking while the buffer towards the
// peer is full. It returns len(b) or an error.
func (c *Conn) Write(b []byte) (int, error) { return c.write(b, nil, nil) }

// WriteHandoff is Write without the copy: b is a part of the writer's
// pooled buffer *buf, and the connection queues b itself until the peer
// has read it. The ownership rule: from the call on, the bytes of b must
// not change; a non-nil release hands over the whole of buf, and the
// connection calls release(buf) exactly once, when it no longer holds any
// part of buf — after the peer has read the last of it, when it is
// dropped (a reset, CloseRead), or at once if nothing of it is queued (an
// error). A writer handing a buffer over in several parts passes release
// with the last part only. release runs with the connection's lock held:
// it must only return buf to its pool. Blocking, errors and the result are
// Write's.
func (c *Conn) WriteHandoff(b []byte, buf *[]byte, release func(*[]byte)) (int, error) {
	return c.write(b, buf, release)
}

// write is Write (buf nil: b is copied into pooled chunks) and
// WriteHandoff (b is queued as a part of *buf).
func (c *Conn) write(b []byte, buf *[]byte, release func(*[]byte)) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	q := c.wr
	done := 0
	end := func(err error) (int, error) { // q.mu held
		q.adopt(buf, release) // releases a buffer none of which is queued
		q.mu.Unlock()
		return done, err
	}
	for {
		if c.closed.Load() {
			q.mu.Lock()
			return end(c.opErr("write", net.ErrClosed))
		}
		if _, expired := c.wdl.state(); expired {
			q.mu.Lock()
			return end(c.opErr("write", os.ErrDeadlineExceeded))
		}
		q.mu.Lock()
		switch {
		case q.gone, q.eof:
			return end(c.opErr("write", os.NewSyscallError("write", syscall.EPIPE)))
		case q.discard:
			done = len(b)
			return end(nil)
		}
		var k int
		if buf == nil {
			k = q.put(b[done:])
		} else {
			k = q.handoff(b[done:], buf, release)
		}
		if k > 0 {
			done += k
			q.wakeReaderData()
		}
		if done == len(b) {
			if len(b) == 0 {
				q.adopt(buf, release)
			}
			q.mu.Unlock()
			return done, nil
		}
		q.wwait = true
		q.mu.Unlock()
		c.stats.writeWaits.Add(1)
		dl, expired := c.wdl.state() // after wwait is set: see Read
		if expired {
			continue
		}
		select {
		case <-q.writable:
		case <-dl:
		case <-c.done:
		}
	}
}

// Close closes this end: its blocked calls return net.ErrClosed, the peer
// reads what was written and then io.EOF (ECONNRESET after SetLinger(0)),
// and the peer's writes fail with EPIPE.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() { first = true; c.closed.Store(true); close(c.done) })
	if !first {
		return c.opErr("close", net.ErrClosed)
	}
	c.mu.Lock()
	reset := c.linger == 0
	c.mu.Unlock()
	q := c.wr
	q.mu.Lock()
	q.eof = true
	if reset {
		q.reset = true
		q.release()
	}
	q.wakeReader()
	q.mu.Unlock()
	q = c.rd
	q.mu.Lock()
	q.gone = true
	q.release()
	q.wakeWriter()
	q.mu.Unlock()
	c.rdl.stop()
	c.wdl.stop()
	return nil
}

// CloseWrite shuts down the sending side: the peer reads io.EOF after what
// was written; later writes here fail with EPIPE.
func (c *Conn) CloseWrite() error {
	if c.closed.Load() {
		return c.opErr("close", net.ErrClosed)
	}
	q := c.wr
	q.mu.Lock()
	q.eof = true
	q.wakeReader()
	q.mu.Unlock()
	return nil
}

// CloseRead shuts down the receiving side: reads here return io.EOF and
// what the peer writes from now on is dropped.
func (c *Conn) CloseRead() error {
	if c.closed.Load() {
		return c.opErr("close", net.ErrClosed)
	}
	q := c.rd
	q.mu.Lock()
	q.discard = true
	q.release()
	q.wakeReader()
	q.wakeWriter()
	q.mu.Unlock()
	return nil
}

// SetReadLowWater is SO_RCVLOWAT: a blocking Read waits until at least
// min(n, len(p), the buffer size) bytes are buffered — or EOF, an error,
// the deadline or Close, which return what there is — instead of
// returning as soon as any byte is. A reader that knows how many bytes
// are coming (the rest of a request body) sets it to wake once per batch
// rather than once per write; n ≤ 1 restores the default. It applies from
// the next Read on.
func (c *Conn) SetReadLowWater(n int) {
	c.lowat.Store(int64(n))
}

// SetLinger sets the behaviour of Close as *net.TCPConn's does: 0 resets
// the connection, any other value closes it gracefully.
func (c *Conn) SetLinger(sec int) error {
	if c.closed.Load() {
		return c.opErr("set", net.ErrClosed)
	}
	c.mu.Lock()
	c.linger = sec
	c.mu.Unlock()
	return nil
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline (zero: none); a blocked Read
// follows the change.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return c.opErr("set", net.ErrClosed)
	}
	c.rdl.reset(t)
	q := c.rd
	q.mu.Lock()
	q.wakeReader()
	q.mu.Unlock()
	return nil
}

// SetWriteDeadline sets the write deadline (zero: none); a blocked Write
// follows the change.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.closed.Load() {
		return c.opErr("set", net.ErrClosed)
	}
	c.wdl.reset(t)
	q := c.wr
	q.mu.Lock()
	q.wakeWriter()
	q.mu.Unlock()
	return nil
}

// LocalAddr is this end's address (127.0.0.1:PORT).
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: err}
}

var _ net.Conn = (*Conn)(nil)

// Idle reports whether this end is open with nothing to read and more to
// come: no bytes buffered, no EOF or reset from the peer, not shut down.
// A keep-alive client checks an idle connection with it before reusing
// it (a read with a passed deadline fails before it looks).
func (c *Conn) Idle() bool {
	if c.closed.Load() {
		return false
	}
	q := c.rd
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n == 0 && !q.eof && !q.reset && !q.discard
}
