package clock

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Batched is a wall clock whose timers are kept in its own sharded heaps and
// fired by a few worker goroutines, one runtime timer per shard, instead of
// one runtime timer and one new goroutine per fire as Real does. It is meant
// for runs with many thousands of short, frequently re-armed timers (a frame
// timer per camera, a flush timer per link): at 150,000 fires a second Real
// spends most of its CPU in the runtime timer heap and in goroutine creation
// and scheduling; Batched runs the due callbacks of a shard one after the
// other in its worker.
//
// Semantics, compared with Real:
//   - Now is time.Now. Deadlines use the monotonic clock.
//   - A callback never runs before its deadline, and runs at the first
//     point of the wake-up grid (Resolution, 1 ms by default) at or after
//     it, plus scheduling delay: timers falling due within one step share a
//     wake-up. Within a shard, callbacks run in deadline order (ties in
//     arming order), one at a time. Timers are spread over the shards
//     round-robin when made and keep their shard.
//   - Callbacks of different shards run concurrently, so callers must not
//     assume any mutual exclusion between callbacks — Real gives none either.
//     Callbacks of one timer never overlap unless one of them blocks (next
//     point) and the timer is re-armed and falls due meanwhile.
//   - A callback that runs longer than the handoff delay (a blocked socket
//     write, a lock held elsewhere) does not hold up its shard: the shard's
//     watchdog, a runtime timer armed only while the worker runs
//     callbacks, notices it and starts a fresh worker for the shard; the blocked worker
//     finishes its one callback and exits. A shard's other timers are then
//     late by at most about twice the handoff delay.
//   - Stop and Reset follow time.Timer (Go ≥ 1.23): Stop reports whether it
//     prevented the fire; after Stop or Reset of a NewTimer or NewTicker
//     timer no stale value is received from its channel. A callback already
//     taken from the heap still runs (Stop then reports false).
//   - Tickers drop ticks for slow readers and skip missed periods, like
//     time.Ticker.
//   - After Close no timer fires; Stop and Reset still work and report false.
//     Close waits for the workers, including one running a callback, so a
//     callback must not call Close.
//
// Batched is safe for concurrent use.
type Batched struct {
	base   time.Time // monotonic origin of deadlines
	shards []*shard
	next   atomic.Uint32 // round-robin shard choice
	hand   time.Duration
	res    int64 // wake-up grid, ns

	done    chan struct{}
	closed  atomic.Bool
	wg      sync.WaitGroup
	closeMu sync.Mutex
}

// BatchedConfig tunes a Batched clock; the zero value is a good default.
type BatchedConfig struct {
	// Shards is the number of heaps, each with its runtime timer and worker
	// (default GOMAXPROCS).
	Shards int
	// Handoff is how long a callback may run before its shard gets a fresh
	// worker (default 2 ms).
	Handoff time.Duration
	// Resolution is the grid the workers wake on (default 1 ms): a timer
	// fires at the first grid point at or after its deadline, so all timers
	// falling due within one step are run in one wake-up. time.Nanosecond
	// makes every deadline exact (one wake-up per distinct deadline).
	Resolution time.Duration
}

// NewBatched starts a Batched clock: its shard workers run until Close.
func NewBatched(cfg BatchedConfig) *Batched {
	if cfg.Shards <= 0 {
		cfg.Shards = runtime.GOMAXPROCS(0)
	}
	if cfg.Handoff <= 0 {
		cfg.Handoff = 2 * time.Millisecond
	}
	if cfg.Resolution <= 0 {
		cfg.Resolution = time.Millisecond
	}
	b := &Batched{base: time.Now(), hand: cfg.Handoff, res: int64(cfg.Resolution), done: make(chan struct{})}
	b.shards = make([]*shard, cfg.Shards)
	for i := range b.shards {
		b.shards[i] = newShard(b)
	}
	for _, s := range b.shards {
		s.startWorker()
	}
	return b
}

// Close stops the clock: pending timers never fire and the workers end. It waits for a callback that is running to return.
func (b *Batched) Close() {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed.Swap(true) {
		return
	}
	for _, s := range b.shards {
		s.mu.Lock()
		s.closed = true
		s.each(func(e *heapEntry) { e.t.armed = false })
		s.reset()
		s.wake.Stop()
		s.dog.Stop()
		s.mu.Unlock()
	}
	close(b.done)
	b.wg.Wait()
}

// Now is the wall clock's time.
func (b *Batched) Now() time.Time { return time.Now() }

// Pending is the number of armed timers (tests and metrics).
func (b *Batched) Pending() int {
	n := 0
	for _, s := range b.shards {
		s.mu.Lock()
		n += s.live
		s.mu.Unlock()
	}
	return n
}

// BatchedStats are a Batched clock's counters since it started.
type BatchedStats struct {
	Fires    uint64 // callbacks run and channel values sent
	Wakeups  uint64 // runtime-timer wake-ups of the shard workers
	Handoffs uint64 // shards given a fresh worker past a long callback
}

// Stats reads the clock's counters (tests, tuning, run metrics).
func (b *Batched) Stats() BatchedStats {
	var st BatchedStats
	for _, s := range b.shards {
		s.mu.Lock()
		st.Fires += s.fires
		st.Wakeups += s.wakeups
		st.Handoffs += s.handoffs
		s.mu.Unlock()
	}
	return st
}

// AfterFunc calls f once, d from now, in a worker of the clock.
func (b *Batched) AfterFunc(d time.Duration, f func()) Timer {
	t := &batchedTimer{s: b.pick(), fn: f}
	t.s.arm(t, d, 0)
	return t
}

// NewTimer returns a timer whose channel receives the time once, d from now.
func (b *Batched) NewTimer(d time.Duration) Timer {
	t := &batchedTimer{s: b.pick(), ch: make(chan time.Time, 1)}
	t.s.arm(t, d, 0)
	return t
}

// NewTicker returns a ticker that sends the time every d (d > 0).
func (b *Batched) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive ticker interval")
	}
	t := &batchedTimer{s: b.pick(), ch: make(chan time.Time, 1)}
	t.s.arm(t, d, d)
	return batchedTicker{t}
}

func (b *Batched) pick() *shard {
	return b.shards[int(b.next.Add(1))%len(b.shards)]
}

// mono is the monotonic time since the clock's origin, in nanoseconds.
func (b *Batched) mono() int64 { return int64(time.Since(b.base)) }

// grid is the first wake-up point at or after when.
func (b *Batched) grid(when int64) int64 {
	if r := when % b.res; r != 0 {
		return when - r + b.res
	}
	return when
}

type batchedTimer struct {
	s      *shard
	when   int64 // deadline, b.mono() units
	seq    uint64
	armed  bool  // pending: its current entry in the shard's store has its seq
	period int64 // tickers
	fn     func()
	ch     chan time.Time
}

func (t *batchedTimer) C() <-chan time.Time { return t.ch }

func (t *batchedTimer) Stop() bool {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drain(t)
	return s.remove(t)
}

func (t *batchedTimer) Reset(d time.Duration) bool {
	return t.s.arm(t, d, keepPeriod)
}

type batchedTicker struct{ t *batchedTimer }

func (k batchedTicker) C() <-chan time.Time { return k.t.ch }
func (k batchedTicker) Stop()               { k.t.Stop() }
func (k batchedTicker) Reset(d time.Duration) {
	if d <= 0 {
		panic("clock: non-positive ticker interval")
	}
	k.t.s.arm(k.t, d, d)
}
