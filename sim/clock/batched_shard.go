package clock

import (
	"sync"
	"sync/atomic"
	"time"
)

// keepPeriod tells arm to leave a timer's period as it is (Timer.Reset).
const keepPeriod = -1

// shard is one timer store of a Batched clock with its runtime timer and
// worker.
type shard struct {
	b    *Batched
	wake *time.Timer // one runtime timer: armed for the earliest deadline
	// dog checks, every handoff delay while the worker runs callbacks,
	// that no callback has been running that long (watch); it is armed
	// when a wake-up has callbacks to run and stopped when it ends, so an
	// idle or lightly loaded shard costs no extra wake-up
	dog *time.Timer

	mu sync.Mutex
	// the armed timers (a timing wheel and a heap for the far ones),
	// with lazy deletion: see timerStore
	timerStore
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
	s := &shard{b: b, wake: time.NewTimer(time.Hour), timerStore: timerStore{res: b.res}}
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
		// the timers of the wheel's slots up to now's grid step: later
		// slots stay on the wheel, where arming appends
		t := s.peekUntil(s.tick(now))
		if t == nil || t.when > now {
			now = s.b.mono()
			if t = s.peekUntil(s.tick(now)); t == nil || t.when > now {
				s.idleLocked()
				if next, ok := s.nextTick(); ok {
					s.armedAt = next * s.res
					s.wake.Reset(time.Duration(s.armedAt - now))
				}
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
