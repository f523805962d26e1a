package report

import (
	"sync"

	"github.com/fleetsim/fleetsim/sim/observe"
)

// An observer never waits for a shard's lock. A goroutine that finds the
// lock taken leaves its observation on the shard's pending stack and goes
// on; whoever holds the lock applies the pending observations before it
// lets go, and looks again after letting go (flat combining).
//
// Why: a run's frame timers run on a few clock workers, which observe every
// frame (sent, generator lag), while the cloud's goroutines observe every
// delivery, a slice's frames in a row. A worker that parked on a shard lock
// held by such a row did not wait for the lock (microseconds) but, once
// woken, for its turn behind the hundreds of goroutines a loaded fleet has
// runnable: 2 ms on average, at 5,000 cameras ~1,500 times in 6 s, the
// largest source of generator lag (execution trace, bench/README.md).
//
// Every observation is applied exactly once: a goroutine pushes before it
// tries the lock, and a holder, after unlocking, takes the lock again
// whenever the stack is not empty; so a push that found the lock taken is
// seen by that holder or by a later one. Pending observations are applied in
// the order they were pushed, after the holder's own.

// pendingObs is an observation waiting on a shard's pending stack.
type pendingObs struct {
	o    observe.Observation
	next *pendingObs
}

// nodePool recycles pending nodes (contention is occasional: a pool keeps
// a handful).
type nodePool struct{ p sync.Pool }

func (np *nodePool) get() *pendingObs {
	if n, ok := np.p.Get().(*pendingObs); ok {
		return n
	}
	return new(pendingObs)
}

func (np *nodePool) put(n *pendingObs) {
	*n = pendingObs{}
	np.p.Put(n)
}

// observeShard applies o to shard s now, or leaves it to the lock's holder.
func (a *Accumulator) observeShard(s *shard, o *observe.Observation) {
	if !s.mu.TryLock() {
		n := a.nodes.get()
		n.o = *o
		for {
			head := s.pending.Load()
			n.next = head
			if s.pending.CompareAndSwap(head, n) {
				break
			}
		}
		if !s.mu.TryLock() {
			return // the holder applies it
		}
	} else {
		a.apply(s, o)
	}
	a.unlockShard(s)
}

// lockShard takes s's lock for reading or resetting its state, waiting for
// it (window closes and snapshots, not observers), with every pending
// observation applied.
func (a *Accumulator) lockShard(s *shard) {
	s.mu.Lock()
	a.applyPending(s)
}

// unlockShard applies what is pending and releases s's lock, then takes it
// back as long as observations keep arriving on the stack (see above).
func (a *Accumulator) unlockShard(s *shard) {
	for {
		a.applyPending(s)
		s.mu.Unlock()
		if s.pending.Load() == nil || !s.mu.TryLock() {
			return
		}
	}
}

// applyPending applies the pending observations, oldest first; s.mu held.
func (a *Accumulator) applyPending(s *shard) {
	top := s.pending.Swap(nil)
	if top == nil {
		return
	}
	var fifo *pendingObs // reverse the stack
	for top != nil {
		next := top.next
		top.next, fifo = fifo, top
		top = next
	}
	for fifo != nil {
		next := fifo.next
		a.apply(s, &fifo.o)
		a.nodes.put(fifo)
		fifo = next
	}
}
