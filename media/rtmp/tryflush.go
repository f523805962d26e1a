package rtmp

import (
	"errors"
	"os"
	"syscall"
)

// Non-blocking flushes: a publisher that must not block where it runs (a
// clock callback emitting a camera's frame) can write the buffered
// messages itself when the socket has room, which on a healthy connection
// is always, and leave only the rest to a goroutine that may block
// (Flush). That saves the handoff to a writer goroutine — a wake-up and
// two context switches per message — without changing a byte on the wire.

// TryFlush writes the buffered bytes as far as the socket takes them at
// once, without waiting. done reports that nothing is left buffered; when
// it is false (and err nil) the rest must go with Flush, which may block,
// before or together with anything buffered later. A transport that is
// not an operating-system socket (a simulated link) takes nothing this
// way: CanTryFlush tells. After an error the connection is unusable, as
// after a failed Flush.
func (c *ClientConn) TryFlush() (done bool, err error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		c.w.Reset()
		return false, stageError(StageClose, c.werr)
	}
	if c.w.Buffered() == 0 {
		return true, nil
	}
	if c.raw == nil {
		return false, nil
	}
	done, err = c.w.FlushSome(c.raw)
	if err != nil {
		c.werr = errors.Join(errWriteFailed, err)
		return false, stageError(StageClose, err)
	}
	return done, nil
}

// CanTryFlush reports whether TryFlush can write: the transport is a
// socket (syscall.Conn).
func (c *ClientConn) CanTryFlush() bool { return c.raw != nil }

// rawWriter writes to a socket's descriptor without waiting for room: one
// write(2) attempt on the non-blocking descriptor, under the descriptor's
// write lock (syscall.RawConn), so it is safe against Close and other
// writers. Guarded by the connection's wmu.
type rawWriter struct {
	rc  syscall.RawConn
	p   []byte
	n   int
	err error
	fn  func(fd uintptr) bool // write, made once (no closure per call)
}

func newRawWriter(nc any) *rawWriter {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawWriter{rc: rc}
	w.fn = w.write
	return w
}

// WriteSome is one non-blocking write attempt (chunk.PartialWriter).
func (w *rawWriter) WriteSome(p []byte) (int, error) {
	w.p, w.n, w.err = p, 0, nil
	if err := w.rc.Write(w.fn); err != nil {
		w.p = nil
		return 0, err // closed, or its write deadline passed
	}
	n, err := w.n, w.err
	w.p, w.err = nil, nil
	return n, err
}

// write runs with the descriptor; it always reports done, so RawConn.Write
// never waits for the socket to become writable.
func (w *rawWriter) write(fd uintptr) bool {
	for {
		n, err := syscall.Write(int(fd), w.p)
		if err == syscall.EINTR {
			continue
		}
		if n > 0 {
			w.n = n
		}
		if err != nil && err != syscall.EAGAIN {
			w.err = os.NewSyscallError("write", err)
		}
		return true
	}
}
