package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Fake is a manually advanced clock for tests and virtual time. Timers fire
// only inside Advance/AdvanceTo/Step, in deadline order (ties in creation
// order), with Now equal to the timer's deadline while it fires. AfterFunc
// callbacks run synchronously in the advancing goroutine and may schedule new
// timers, which fire in the same Advance if they fall due. Fake is safe for
// concurrent use.
type Fake struct {
	mu   sync.Mutex
	now  time.Time
	seq  uint64
	q    fakeQueue
	busy sync.Mutex // serialises Advance calls
}

// NewFake returns a Fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Epoch is a convenient fixed start time for tests: 2026-01-01T00:00:00Z.
func Epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{clk: f, fn: fn}
	f.arm(t, d)
	return t
}

func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clk: f, ch: make(chan time.Time, 1)}
	f.arm(t, d)
	return t
}

func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive ticker interval")
	}
	t := &fakeTimer{clk: f, ch: make(chan time.Time, 1), period: d}
	f.arm(t, d)
	return &fakeTicker{t: t}
}

// Pending is the number of armed timers.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.q)
}

// Next reports the deadline of the earliest armed timer.
func (f *Fake) Next() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.q) == 0 {
		return time.Time{}, false
	}
	return f.q[0].when, true
}

// Advance moves the clock forward by d, firing every timer that falls due.
func (f *Fake) Advance(d time.Duration) { f.AdvanceTo(f.Now().Add(d)) }

// AdvanceTo moves the clock to t (never backwards), firing due timers.
func (f *Fake) AdvanceTo(t time.Time) {
	f.busy.Lock()
	defer f.busy.Unlock()
	for f.fireNext(t) {
	}
	f.mu.Lock()
	if t.After(f.now) {
		f.now = t
	}
	f.mu.Unlock()
}

// Step fires the earliest timer (moving the clock to its deadline) and
// reports whether there was one. It lets a test run a simulation event by
// event.
func (f *Fake) Step() bool {
	f.busy.Lock()
	defer f.busy.Unlock()
	next, ok := f.Next()
	if !ok {
		return false
	}
	return f.fireNext(next)
}

// fireNext fires the earliest timer due at or before limit.
func (f *Fake) fireNext(limit time.Time) bool {
	f.mu.Lock()
	if len(f.q) == 0 || f.q[0].when.After(limit) {
		f.mu.Unlock()
		return false
	}
	t := heap.Pop(&f.q).(*fakeTimer)
	t.index = -1
	if t.when.After(f.now) {
		f.now = t.when
	}
	now := f.now
	if t.period > 0 {
		t.when = t.when.Add(t.period)
		f.seq++
		t.order = f.seq
		heap.Push(&f.q, t)
	}
	f.mu.Unlock()
	if t.fn != nil {
		t.fn()
	} else {
		select {
		case t.ch <- now:
		default: // like time.Ticker: a slow reader misses ticks
		}
	}
	return true
}

func (f *Fake) arm(t *fakeTimer, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d < 0 {
		d = 0
	}
	t.when = f.now.Add(d)
	f.seq++
	t.order = f.seq
	heap.Push(&f.q, t)
}

func (f *Fake) disarm(t *fakeTimer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&f.q, t.index)
	t.index = -1
	return true
}

type fakeTimer struct {
	clk    *Fake
	when   time.Time
	order  uint64
	index  int
	period time.Duration
	fn     func()
	ch     chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }
func (t *fakeTimer) Stop() bool          { return t.clk.disarm(t) }
func (t *fakeTimer) Reset(d time.Duration) bool {
	was := t.clk.disarm(t)
	t.clk.arm(t, d)
	return was
}

type fakeTicker struct{ t *fakeTimer }

func (k *fakeTicker) C() <-chan time.Time { return k.t.ch }
func (k *fakeTicker) Stop()               { k.t.clk.disarm(k.t) }
func (k *fakeTicker) Reset(d time.Duration) {
	k.t.clk.disarm(k.t)
	k.t.period = d
	k.t.clk.arm(k.t, d)
}

type fakeQueue []*fakeTimer

func (q fakeQueue) Len() int { return len(q) }
func (q fakeQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.Before(q[j].when)
	}
	return q[i].order < q[j].order
}
func (q fakeQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *fakeQueue) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *fakeQueue) Pop() any {
	old := *q
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	*q = old[:n-1]
	return t
}
