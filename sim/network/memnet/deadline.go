package memnet

import (
	"sync"
	"sync/atomic"
	"time"
)

// deadline is one I/O deadline of a connection end. Its channel is nil
// while no deadline is set and is closed when the deadline passes; a
// blocked call selects on the channel it got when it blocked, and setting
// a deadline wakes blocked calls (see Conn.SetReadDeadline) so that they
// pick up the new one.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer
	gen   uint64 // bumped by every set: a stale timer closes nothing
	ch    chan struct{}
	// set mirrors ch != nil so that I/O without a deadline takes no lock
	set atomic.Bool
}

func (d *deadline) reset(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set.Store(!t.IsZero())
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if t.IsZero() {
		d.ch = nil
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
	gen, ch := d.gen, d.ch
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.gen == gen {
			close(ch)
		}
	})
}

// state returns the channel to select on (nil: no deadline) and whether
// the deadline has passed.
func (d *deadline) state() (chan struct{}, bool) {
	if !d.set.Load() {
		return nil, false
	}
	d.mu.Lock()
	ch := d.ch
	d.mu.Unlock()
	return ch, ch != nil && isClosed(ch)
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
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
