package spin

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMutualExclusion: goroutines on more Ps than cores increment a plain
// counter under the lock; any overlap loses increments (and the race
// detector, under -race, reports it).
func TestMutualExclusion(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var l Lock
	n := 0
	const workers, each = 8, 20000
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				l.Lock()
				n++
				l.Unlock()
			}
		}()
	}
	wg.Wait()
	if n != workers*each {
		t.Fatalf("counter %d, want %d: the lock let two holders in", n, workers*each)
	}
}

// TestHolderDescheduled: a waiter whose holder sleeps (off its P) parks
// rather than spinning for ever on the only P, and gets the lock once it is
// free.
func TestHolderDescheduled(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var l Lock
	l.Lock()
	got := make(chan struct{})
	go func() {
		l.Lock()
		close(got)
		l.Unlock()
	}()
	// with one P the waiter can only spin while this goroutine is off it
	time.Sleep(20 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("waiter took a held lock")
	default:
	}
	l.Unlock()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("waiter never got the freed lock")
	}
}

// TestParkedWaitersAllWake: holders that sleep inside the lock make the
// waiters park; every waiter must be woken in the end (no lost wake-up),
// and the holders still exclude each other.
func TestParkedWaitersAllWake(t *testing.T) {
	var l Lock
	const workers, each = 8, 40
	inside := atomic.Int32{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					l.Lock()
					if inside.Add(1) != 1 {
						t.Error("two holders")
					}
					time.Sleep(50 * time.Microsecond)
					inside.Add(-1)
					l.Unlock()
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("waiters never woke: %d parked", l.waiters.Load())
	}
	if n := l.waiters.Load(); n != 0 {
		t.Errorf("%d waiters still counted", n)
	}
}

func TestTryLock(t *testing.T) {
	var l Lock
	if !l.TryLock() {
		t.Fatal("TryLock of a free lock failed")
	}
	if l.TryLock() {
		t.Fatal("TryLock of a held lock succeeded")
	}
	l.Unlock()
	if !l.TryLock() {
		t.Fatal("TryLock after Unlock failed")
	}
}

func TestUnlockUnlockedPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Unlock of an unlocked Lock did not panic")
		}
	}()
	var l Lock
	l.Unlock()
}

func BenchmarkUncontended(b *testing.B) {
	var l Lock
	for b.Loop() {
		l.Lock()
		l.Unlock()
	}
}

func BenchmarkContended(b *testing.B) {
	var l Lock
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Lock()
			n++
			l.Unlock()
		}
	})
	_ = n
}
