// Package spin has a mutex for short critical sections that the simulator's
// clock workers share with thousands of other goroutines.
package spin

import "sync/atomic"

// Lock is a mutex for very short critical sections that many goroutines
// enter (a clock shard's heap, a report shard's counters). Unlike sync.Mutex
// it never hands the lock to a waiter: a sync.Mutex whose waiter waited over
// a millisecond turns fair (starvation mode), and from then on every Unlock
// passes the lock to the oldest waiter and puts the unlocking goroutine at
// the back of its run queue. In a saturated fleet with thousands of
// runnable goroutines that makes a lock convoy: each hand-over waits for a
// turn of the whole run queue, and the shard worker, which takes the lock
// between callbacks, falls hundreds of milliseconds behind.
//
// Lock lets whoever comes first take it. A waiter spins briefly (about a
// microsecond: the holder runs on another core and is usually done by
// then), then parks; Unlock wakes one parked waiter, which the runtime runs
// next on the unlocker's P, and the waiter tries again (it may find the
// lock taken by a newcomer and park again). A waiter that yielded its P
// instead (runtime.Gosched) would go to the global run queue and, with
// thousands of goroutines runnable, wait there for many milliseconds.
//
// The zero value is unlocked. A Lock must not be copied after first use.
// Holding it across anything that can block (I/O, channel operations,
// another sync.Mutex) wastes the waiters' time: keep such work outside.
type Lock struct {
	v       atomic.Int32                  // 0 free, 1 held
	waiters atomic.Int32                  // goroutines parked or about to park
	wake    atomic.Pointer[chan struct{}] // one buffered token for a parked waiter
}

// Lock takes the lock, waiting for it if it is held.
func (l *Lock) Lock() {
	if l.v.CompareAndSwap(0, 1) {
		return
	}
	l.lockSlow()
}

func (l *Lock) lockSlow() {
	for range 1000 {
		if l.v.Load() == 0 && l.v.CompareAndSwap(0, 1) {
			return
		}
	}
	ch := l.ch()
	l.waiters.Add(1)
	for {
		// an Unlock before the Add left the lock free; one after it sees
		// a waiter and leaves a token
		if l.v.CompareAndSwap(0, 1) {
			l.waiters.Add(-1)
			return
		}
		<-ch
	}
}

// TryLock takes the lock if it is free and reports whether it did.
func (l *Lock) TryLock() bool { return l.v.CompareAndSwap(0, 1) }

// Unlock releases the lock and wakes a parked waiter, if any. Unlocking an
// unlocked Lock panics, like sync.Mutex.
func (l *Lock) Unlock() {
	if l.v.Swap(0) != 1 {
		panic("spin: unlock of unlocked Lock")
	}
	if l.waiters.Load() > 0 {
		select {
		case *l.wake.Load() <- struct{}{}:
		default: // a token is already waiting for a waiter
		}
	}
}

// ch is the wake-up channel, made on first contention.
func (l *Lock) ch() chan struct{} {
	if c := l.wake.Load(); c != nil {
		return *c
	}
	c := make(chan struct{}, 1)
	if l.wake.CompareAndSwap(nil, &c) {
		return c
	}
	return *l.wake.Load()
}
