// Package spin has a mutex for short critical sections that the simulator's
// clock workers share with thousands of other goroutines.
package spin

import (
	"runtime"
	"sync/atomic"
)

// Lock is a mutex for very short critical sections that many goroutines
// enter (a clock shard's heap, a report shard's counters). Unlike sync.Mutex it never hands the
// lock to a parked waiter: a sync.Mutex whose waiter waited over a
// millisecond turns fair (starvation mode), and from then on every Unlock
// passes the lock to the oldest waiter and puts the unlocking goroutine at
// the back of its run queue. In a saturated fleet with thousands of
// runnable goroutines that makes a lock convoy: each hand-over waits for a
// turn of the whole run queue, and the shard worker, which takes the lock
// between callbacks, falls hundreds of milliseconds behind. Lock lets
// whoever comes first take it; a waiter spins briefly (about a microsecond: the holder runs on
// another core and is done within a microsecond or two) and otherwise
// yields its turn.
//
// The zero value is unlocked. A Lock must not be copied after first use.
// Holding it across anything that can block (I/O, channel operations,
// another sync.Mutex) wastes the waiters' CPU: keep such work outside.
type Lock struct{ v atomic.Int32 }

func (l *Lock) Lock() {
	if l.v.CompareAndSwap(0, 1) {
		return
	}
	l.lockSlow()
}

func (l *Lock) lockSlow() {
	for {
		for range 1000 {
			if l.v.Load() == 0 && l.v.CompareAndSwap(0, 1) {
				return
			}
		}
		runtime.Gosched()
	}
}

// TryLock takes the lock if it is free and reports whether it did.
func (l *Lock) TryLock() bool { return l.v.CompareAndSwap(0, 1) }

// Unlock releases the lock. Unlocking an unlocked Lock panics, like
// sync.Mutex.
func (l *Lock) Unlock() {
	if l.v.Swap(0) != 1 {
		panic("spin: unlock of unlocked Lock")
	}
}
