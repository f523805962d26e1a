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
	// dog checks, every handoff delay while the worker runs callbacks,
	// that no callback has been running that long (watch); it is armed
	// when a wake-up has callbacks to run and stopped when it ends, so an
	// idle or lightly loaded shard costs no extra wake-up
	dog *time.Timer

	mu sync.Mutex
	// q is a 4-ary min-heap by (when, seq) with lazy deletion: Stop and
	// Reset only mark the timer (armed, seq), and an entry whose timer no
	// longer carries its seq is dropped when it reaches the top or when
	// stale entries outnumber the live ones (compact). Moving an entry
	// then never writes to its timer, which in a fleet is a cold cache
	// line per level of the sift.
	q       []heapEntry
	live    int // armed timers (entries of q that are current)
	seq     uint64
	armedAt int64  // deadline wake is armed for; 0: not armed
	busy    bool   // a worker is running due timers and re-arms wake when done
	gen     uint64 // the current worker's generation; older workers exit
	runSeq  uint64 // ids of callbacks, for the watchdog
	dogOn   bool   // dog is armed for the current wake-up
	dogSeen uint64 // the callback the last check saw running
	closed  bool
	// counters (Stats)
	fires, wakeups, handoffs uint64

	running atomic.Uint64 // id of the callback the current worker runs; 0: none
}

func newShard(b *Batched) *shard {
	s := &shard{b: b, wake: time.NewTimer(time.Hour)}
	s.wake.Stop()
	s.dog = time.AfterFunc(time.Hour, s.watch)
	s.dog.Stop()
	return s
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
		t := s.peek()
		if t == nil {
			s.idleLocked()
			s.mu.Unlock()
			return true
		}
		if t.when > now {
			if now = s.b.mono(); t.when > now {
				s.idleLocked()
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
		if !s.dogOn {
			s.dogOn, s.dogSeen = true, 0
			s.dog.Reset(s.b.hand)
		}
		s.mu.Unlock()
		t.fn()
		s.mu.Lock()
		s.running.CompareAndSwap(id, 0)
	}
}

// idleLocked ends a wake-up: the worker is about to sleep (s.mu held).
func (s *shard) idleLocked() {
	s.busy = false
	if s.dogOn {
		s.dogOn = false
		s.dog.Stop()
	}
}

// watch is the watchdog's check: a callback seen running at two checks a
// handoff delay apart has run at least that long, and the shard gets a
// fresh worker; otherwise it checks again a handoff delay later while the
// wake-up goes on.
func (s *shard) watch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.dogOn {
		return
	}
	cur := s.running.Load()
	if cur != 0 && cur == s.dogSeen {
		s.handoffLocked()
		return
	}
	s.dogSeen = cur
	s.dog.Reset(s.b.hand)
}

// handoffLocked starts a fresh worker for the shard: the old one exits once
// the callback it runs returns (s.mu held, a callback running).
func (s *shard) handoffLocked() {
	s.gen++
	s.handoffs++
	s.running.Store(0)
	s.busy = true
	s.dogOn = false // the new worker arms it for its own callbacks
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

// heapEntry is an entry of a shard's heap. Its key is copied from the
// timer, so comparisons read the heap's own array instead of following a
// pointer per child; it is current while the timer is armed with its seq.
type heapEntry struct {
	when int64
	seq  uint64
	t    *batchedTimer
}

func before(a, b *heapEntry) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

// current reports whether e still stands for its timer's arming.
func (e *heapEntry) current() bool { return e.t.armed && e.t.seq == e.seq }

// remove disarms t and reports whether it was armed; its entry stays in the
// heap until it comes to the top or the heap is compacted.
func (s *shard) remove(t *batchedTimer) bool {
	if !t.armed {
		return false
	}
	t.armed = false
	s.live--
	if stale := len(s.q) - s.live; stale > 64 && stale > s.live {
		s.compact()
	}
	return true
}

// push arms t at t.when with a new seq.
func (s *shard) push(t *batchedTimer) {
	s.seq++
	t.seq = s.seq
	t.armed = true
	s.live++
	s.q = append(s.q, heapEntry{when: t.when, seq: t.seq, t: t})
	s.up(len(s.q) - 1)
}

// peek is the earliest armed timer, nil when none is; it drops the stale
// entries on top.
func (s *shard) peek() *batchedTimer {
	for len(s.q) > 0 {
		if s.q[0].current() {
			return s.q[0].t
		}
		s.popTop()
	}
	return nil
}

// pop disarms the timer peek returned and takes its entry off the heap.
func (s *shard) pop() {
	t := s.q[0].t
	t.armed = false
	s.live--
	s.popTop()
}

// popTop takes the top entry off the heap.
func (s *shard) popTop() {
	last := len(s.q) - 1
	s.q[0] = s.q[last]
	s.q[last] = heapEntry{}
	s.q = s.q[:last]
	if last > 0 {
		s.down(0)
	}
}

// compact drops every stale entry and rebuilds the heap.
func (s *shard) compact() {
	q := s.q[:0]
	for _, e := range s.q {
		if e.current() {
			q = append(q, e)
		}
	}
	clear(s.q[len(q):])
	s.q = q
	if len(q) > 1 {
		for i := (len(q) - 2) / 4; i >= 0; i-- {
			s.down(i)
		}
	}
}

// up moves q[i] towards the root.
func (s *shard) up(i int) {
	q := s.q
	e := q[i]
	for i > 0 {
		p := (i - 1) / 4
		if !before(&e, &q[p]) {
			break
		}
		q[i] = q[p]
		i = p
	}
	q[i] = e
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
		i = m
	}
	q[i] = e
}
