package memnet

import (
	"sync"
	"sync/atomic"
	"time"
)

// deadline is one I/O deadline of a connection end. While a deadline is
// set, its channel is closed when the deadline passes; a blocked call
// selects on the channel it got when it blocked, and setting a deadline
// wakes blocked calls (see Conn.SetReadDeadline) so that they pick up the
// new one. The timer and an unclosed channel are kept for the next
// deadline: net/http sets a connection's deadlines at every request.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer // runs fire; made at the first deadline in the future
	at    time.Time   // the deadline; zero: none
	ch    chan struct{}
	// set mirrors !at.IsZero() so that I/O without a deadline takes no lock
	set atomic.Bool
}

func (d *deadline) reset(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set.Store(!t.IsZero())
	d.at = t
	if d.timer != nil {
		d.timer.Stop()
	}
	if t.IsZero() {
		return
	}
	if d.ch == nil || isClosed(d.ch) {
		d.ch = make(chan struct{})
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.ch)
		return
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.fire)
	} else {
		d.timer.Reset(wait)
	}
}

// fire closes the channel once the deadline set now has passed. A firing
// for an earlier setting (stopped too late) finds none set and closes
// nothing, or finds one not yet passed and re-arms the timer for it (as
// does a firing early by the wall clock).
func (d *deadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.at.IsZero() || isClosed(d.ch) {
		return
	}
	if rest := time.Until(d.at); rest > 0 {
		d.timer.Reset(rest)
		return
	}
	close(d.ch)
}

// state returns the channel to select on (nil: no deadline) and whether
// the deadline has passed.
func (d *deadline) state() (chan struct{}, bool) {
	if !d.set.Load() {
		return nil, false
	}
	d.mu.Lock()
	ch := d.ch
	if d.at.IsZero() {
		ch = nil
	}
	d.mu.Unlock()
	return ch, ch != nil && isClosed(ch)
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = time.Time{}
	d.set.Store(false)
	if d.timer != nil {
		d.timer.Stop()
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
