package push

import "sync"

// Callback is the event callback of a connection (event_callback):
// id is the connection, ev the event, wparam its auxiliary value (usually an
// error code), lparam its message value.
type Callback func(id ConnID, ev Event, wparam, lparam int64)

// note is one pending callback.
type note struct {
	cb     Callback
	id     ConnID
	ev     Event
	wp, lp int64
}

// notifier delivers callbacks one at a time in the order they were queued,
// outside the SDK's lock. Whoever queues while nobody delivers becomes the
// deliverer until the queue is empty, so a callback that calls back into
// the SDK only queues behind itself.
type notifier struct {
	mu         sync.Mutex
	q          []note
	delivering bool
}

// add queues a callback; the caller must call flush after releasing its
// own locks.
func (n *notifier) add(cb Callback, id ConnID, ev Event, wp, lp int64) {
	if cb == nil {
		return
	}
	n.mu.Lock()
	n.q = append(n.q, note{cb, id, ev, wp, lp})
	n.mu.Unlock()
}

// flush delivers queued callbacks unless another goroutine is doing so.
func (n *notifier) flush() {
	n.mu.Lock()
	if n.delivering {
		n.mu.Unlock()
		return
	}
	n.delivering = true
	for len(n.q) > 0 {
		x := n.q[0]
		n.q[0] = note{}
		n.q = n.q[1:]
		n.mu.Unlock()
		x.cb(x.id, x.ev, x.wp, x.lp)
		n.mu.Lock()
	}
	n.q = n.q[:0:0]
	n.delivering = false
	n.mu.Unlock()
}
