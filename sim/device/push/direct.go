package push

// Direct writes. On a connection whose transport is an operating-system
// socket (rtmp.ClientConn.CanTryFlush), whoever queues a message on an
// idle connection — SendFrame from the camera's frame callback, the
// gathering timer — encodes the batch and writes it itself with one
// non-blocking write (TryFlush), instead of waking the sender goroutine:
// one system call per message and no goroutine handoff (a futex wake and
// two context switches per frame). The bytes, their order, the batching
// rules (one message per write at FlushDelay 0) and the accounting are
// the sender's: the same functions do the work. A direct write never
// blocks: what the socket does not take at once stays in the send buffer
// and the sender goroutine flushes it (it may block) and ends the batch;
// a failed direct write leaves the connection's end to the sender too.
// Messages queued while a write is under way wait for the sender, as
// before. Transports that are no socket (simulated links) always use the
// sender.

// takeDirectLocked reports whether the caller may write the queue's head
// now itself, and if so takes the batch (s.mu held). A taken batch counts
// in the SDK's wait group until writeDirect is done with it, so
// Uninitialize and Detach wait for it as for the sender.
func (c *conn) takeDirectLocked() bool {
	s := c.s
	// (the connection's context ends only with the SDK: !s.inited)
	if !c.direct || c.writing || c.owed || c.failed != nil || c.state != stateUp || !s.inited ||
		c.qHead == len(c.queue) {
		return false
	}
	c.takeBatchLocked()
	s.wg.Add(1)
	return true
}

// writeDirect writes the batch takeDirectLocked took, in the caller's
// goroutine and without blocking; s.mu is not held. The caller flushes the
// notifier afterwards.
func (c *conn) writeDirect() {
	s := c.s
	defer s.wg.Done()
	n, encErr := c.encodeBatch()
	all, ferr := c.rc.TryFlush()
	if !all && ferr == nil {
		// the socket is full: the sender writes the rest when it can
		s.mu.Lock()
		c.owed, c.owedN, c.owedErr = true, n, encErr
		s.mu.Unlock()
		c.signal()
		return
	}
	done, err := c.flushed(n, encErr, ferr)
	more := c.complete(done, err)
	if err != nil {
		s.mu.Lock()
		c.failed = err
		s.mu.Unlock()
	}
	if more || err != nil || c.closingNow() {
		c.signal()
	}
}

// closingNow reports whether Close was called (the sender, which skipped
// the close while this write was under way, must look again).
func (c *conn) closingNow() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.closing
}

// flushDue is the gathering timer's callback: the gathered messages go out
// now, written here when the connection is idle and takes direct writes.
func (c *conn) flushDue() {
	s := c.s
	s.mu.Lock()
	direct := c.takeDirectLocked()
	s.mu.Unlock()
	if !direct {
		c.signal()
		return
	}
	c.writeDirect()
	s.n.flush()
}
