package clock

import (
	"sync"
	"sync/atomic"
	"time"
)

// keepPeriod tells arm to leave a timer's period as it is (Timer.Reset).
const keepPeriod = -1

// shard is one heap of a Batched clock with its runtime timer and worker.
type shard struct {
	b    *Batched
	wake *time.Timer // one runtime timer: armed for the earliest deadline

	mu      sync.Mutex
	q       []heapEntry // 4-ary min-heap by (when, seq)
	seq     uint64
	armedAt int64  // deadline wake is armed for; 0: not armed
	busy    bool   // a worker is running due timers and re-arms wake when done
	gen     uint64 // the current worker's generation; older workers exit
	runSeq  uint64 // ids of callbacks, for the monitor
	closed  bool
	// counters (Stats)
	fires, wakeups, handoffs uint64

	running atomic.Uint64 // id of the callback the current worker runs; 0: none
}

func (s *shard) startWorker() {
	s.mu.Lock()
	s.busy = true
	gen := s.gen
	s.mu.Unlock()
	s.b.wg.Add(1)
	go s.work(gen)
}

// work runs due timers, then sleeps until the shard's runtime timer fires.
func (s *shard) work(gen uint64) {
	defer s.b.wg.Done()
	for s.runDue(gen) {
		select {
		case <-s.b.done:
			return
		case <-s.wake.C:
		}
	}
}

// runDue fires every due timer and arms wake for the next one. It reports
// false when this worker must end (clock closed, or shard handed off).
func (s *shard) runDue(gen uint64) bool {
	s.mu.Lock()
	s.busy = true
	s.armedAt = 0 // wake has fired (or never was armed)
	s.wakeups++
	now := s.b.mono()
	for {
		if s.closed || s.gen != gen {
			s.mu.Unlock()
			return false
		}
		if len(s.q) == 0 {
			s.busy = false
			s.mu.Unlock()
			return true
		}
		t := s.peek()
		if t.when > now {
			if now = s.b.mono(); t.when > now {
				s.busy = false
				s.armedAt = s.b.grid(t.when)
				s.wake.Reset(time.Duration(s.armedAt - now))
				s.mu.Unlock()
				return true
			}
		}
		s.pop()
		if t.period > 0 {
			next := t.when + t.period
			if next <= now { // skip missed periods, like time.Ticker
				next += ((now-next)/t.period + 1) * t.period
			}
			t.when = next
			s.seq++
			t.seq = s.seq
			s.push(t)
		}
		s.fires++
		if t.fn == nil {
			select {
			case t.ch <- s.b.base.Add(time.Duration(now)):
			default: // a slow reader misses the value, like time.Ticker
			}
			continue
		}
		s.runSeq++
		id := s.runSeq
		s.running.Store(id)
		s.b.callbackStarting()
		s.mu.Unlock()
		t.fn()
		s.mu.Lock()
		s.running.CompareAndSwap(id, 0)
	}
}

// handoff starts a fresh worker for the shard when callback id still runs;
// the old worker exits once that callback returns.
func (s *shard) handoff(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.running.Load() != id {
		return
	}
	s.gen++
	s.handoffs++
	s.running.Store(0)
	s.busy = true
	s.b.wg.Add(1)
	go s.work(s.gen)
}

// arm (re)schedules t d from now with the given period (keepPeriod: as it
// is) and reports whether it was pending.
func (s *shard) arm(t *batchedTimer, d time.Duration, period time.Duration) bool {
	if d < 0 {
		d = 0
	}
	now := s.b.mono()
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.remove(t)
	s.drain(t)
	if period != keepPeriod {
		t.period = int64(period)
	}
	if s.closed {
		return was
	}
	t.when = now + int64(d)
	s.seq++
	t.seq = s.seq
	s.push(t)
	if at := s.b.grid(t.when); !s.busy && (s.armedAt == 0 || at < s.armedAt) {
		s.armedAt = at
		s.wake.Reset(time.Duration(at - now))
	}
	return was
}

// drain discards a value a channel timer sent and nobody received, so that
// no stale value is read after Stop or Reset (s.mu held; values are sent
// under it too).
func (s *shard) drain(t *batchedTimer) {
	if t.ch == nil {
		return
	}
	select {
	case <-t.ch:
	default:
	}
}

// heapEntry is one armed timer in a shard's heap. Its key is copied from
// the timer (which changes it only while out of the heap), so comparisons
// read the heap's own array instead of following a pointer per child.
type heapEntry struct {
	when int64
	seq  uint64
	t    *batchedTimer
}

func before(a, b *heapEntry) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

// remove takes t out of the heap and reports whether it was there.
func (s *shard) remove(t *batchedTimer) bool {
	i := t.index
	if i < 0 {
		return false
	}
	last := len(s.q) - 1
	if i != last {
		s.q[i] = s.q[last]
		s.q[i].t.index = i
	}
	s.q[last] = heapEntry{}
	s.q = s.q[:last]
	t.index = -1
	if i != last {
		if !s.up(i) {
			s.down(i)
		}
	}
	return true
}

func (s *shard) push(t *batchedTimer) {
	t.index = len(s.q)
	s.q = append(s.q, heapEntry{when: t.when, seq: t.seq, t: t})
	s.up(t.index)
}

// peek is the earliest armed timer (the heap must not be empty).
func (s *shard) peek() *batchedTimer { return s.q[0].t }

func (s *shard) pop() {
	s.remove(s.q[0].t)
}

// up moves q[i] towards the root; it reports whether it moved.
func (s *shard) up(i int) bool {
	q := s.q
	e := q[i]
	moved := false
	for i > 0 {
		p := (i - 1) / 4
		if !before(&e, &q[p]) {
			break
		}
		q[i] = q[p]
		q[i].t.index = i
		i = p
		moved = true
	}
	q[i] = e
	e.t.index = i
	return moved
}

func (s *shard) down(i int) {
	q := s.q
	n := len(q)
	e := q[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if before(&q[k], &q[m]) {
				m = k
			}
		}
		if !before(&q[m], &e) {
			break
		}
		q[i] = q[m]
		q[i].t.index = i
		i = m
	}
	q[i] = e
	e.t.index = i
}
