package clock

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Fake is a manually advanced clock for tests and virtual time. Timers fire
// only inside Advance/AdvanceTo/Step, in deadline order (ties in creation
// order), with Now equal to the timer's deadline while it fires. AfterFunc
// callbacks run synchronously in the advancing goroutine and may schedule new
// timers, which fire in the same Advance if they fall due. Fake is safe for
// concurrent use.
//
// Deadlines are int64 nanoseconds since the start time, kept in a 4-ary
// heap (fake_heap.go); Now reads an atomic offset without locking. Arming,
// re-arming and stopping a timer allocate nothing.
type Fake struct {
	base time.Time    // the start time: Now is base + now
	now  atomic.Int64 // ns since base; written under mu

	mu   sync.Mutex
	seq  uint64
	q    fakeHeap
	busy sync.Mutex // serialises Advance calls
}

// NewFake returns a Fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{base: start} }

// Epoch is a convenient fixed start time for tests: 2026-01-01T00:00:00Z.
func Epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func (f *Fake) Now() time.Time { return f.base.Add(time.Duration(f.now.Load())) }

func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{clk: f, fn: fn, index: -1}
	f.arm(t, d)
	return t
}

func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clk: f, ch: make(chan time.Time, 1), index: -1}
	f.arm(t, d)
	return t
}

func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive ticker interval")
	}
	t := &fakeTimer{clk: f, ch: make(chan time.Time, 1), period: int64(d), index: -1}
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
	return f.base.Add(time.Duration(f.q[0].when)), true
}

// Advance moves the clock forward by d, firing every timer that falls due.
func (f *Fake) Advance(d time.Duration) {
	limit := addSat(f.now.Load(), d)
	f.busy.Lock()
	defer f.busy.Unlock()
	f.advanceTo(limit)
}

// AdvanceTo moves the clock to t (never backwards), firing due timers.
func (f *Fake) AdvanceTo(t time.Time) {
	f.busy.Lock()
	defer f.busy.Unlock()
	f.advanceTo(int64(t.Sub(f.base)))
}

// advanceTo fires every timer due at or before limit, then sets the clock
// to limit unless it is already later; f.busy held.
func (f *Fake) advanceTo(limit int64) {
	for f.fireNext(limit) {
	}
	f.mu.Lock()
	if limit > f.now.Load() {
		f.now.Store(limit)
	}
	f.mu.Unlock()
}

// Step fires the earliest timer (moving the clock to its deadline) and
// reports whether there was one. It lets a test run a simulation event by
// event.
func (f *Fake) Step() bool {
	f.busy.Lock()
	defer f.busy.Unlock()
	f.mu.Lock()
	if len(f.q) == 0 {
		f.mu.Unlock()
		return false
	}
	next := f.q[0].when
	f.mu.Unlock()
	return f.fireNext(next)
}

// fireNext fires the earliest timer due at or before limit.
func (f *Fake) fireNext(limit int64) bool {
	f.mu.Lock()
	if len(f.q) == 0 || f.q[0].when > limit {
		f.mu.Unlock()
		return false
	}
	t := f.q[0].t
	f.q.remove(t)
	now := f.now.Load()
	if t.when > now {
		now = t.when
		f.now.Store(now)
	}
	if t.period > 0 {
		t.when = addSat(t.when, time.Duration(t.period))
		f.seq++
		t.order = f.seq
		f.q.push(t)
	}
	fn, ch := t.fn, t.ch
	f.mu.Unlock()
	if fn != nil {
		fn()
	} else {
		select {
		case ch <- f.base.Add(time.Duration(now)):
		default: // like time.Ticker: a slow reader misses ticks
		}
	}
	return true
}

// arm (re)schedules t d from now and reports whether it was pending.
func (f *Fake) arm(t *fakeTimer, d time.Duration) bool {
	if d < 0 {
		d = 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t.when = addSat(f.now.Load(), d)
	f.seq++
	t.order = f.seq
	if t.index >= 0 {
		f.q.rekey(t)
		return true
	}
	f.q.push(t)
	return false
}

func (f *Fake) disarm(t *fakeTimer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.q.remove(t)
}

// addSat is ns + d, saturating instead of wrapping past the largest
// deadline (a timer set "forever" must not fire at once).
func addSat(ns int64, d time.Duration) int64 {
	if d > 0 && ns > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	if d < 0 && ns < math.MinInt64-int64(d) {
		return math.MinInt64
	}
	return ns + int64(d)
}

type fakeTimer struct {
	clk    *Fake
	when   int64 // deadline, ns since clk.base
	order  uint64
	index  int   // position in clk.q; -1 when not armed
	period int64 // tickers, ns
	fn     func()
	ch     chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time        { return t.ch }
func (t *fakeTimer) Stop() bool                 { return t.clk.disarm(t) }
func (t *fakeTimer) Reset(d time.Duration) bool { return t.clk.arm(t, d) }

type fakeTicker struct{ t *fakeTimer }

func (k *fakeTicker) C() <-chan time.Time { return k.t.ch }
func (k *fakeTicker) Stop()               { k.t.clk.disarm(k.t) }
func (k *fakeTicker) Reset(d time.Duration) {
	if d <= 0 {
		panic("clock: non-positive ticker interval")
	}
	f := k.t.clk
	f.mu.Lock()
	k.t.period = int64(d)
	f.mu.Unlock()
	f.arm(k.t, d)
}
