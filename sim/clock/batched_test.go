package clock

import (
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// wait is a liveness bound, not a timing assertion: it only fails a test
// that would otherwise hang.
const wait = 30 * time.Second

var _ Clock = (*Batched)(nil)

func newBatched(t *testing.T, cfg BatchedConfig) *Batched {
	t.Helper()
	b := NewBatched(cfg)
	t.Cleanup(func() {
		b.Close()
		goleak.VerifyNone(t)
	})
	return b
}

func recv(t *testing.T, ch <-chan time.Time, what string) time.Time {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("%s: nothing received in %v", what, wait)
		return time.Time{}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in %v", what, wait)
		}
		time.Sleep(time.Millisecond)
	}
}

// One shard runs its callbacks one at a time in deadline order (ties in
// arming order), whatever order they were armed in and however late the
// worker wakes.
func TestBatchedFiresInDeadlineOrder(t *testing.T) {
	b := newBatched(t, BatchedConfig{Shards: 1})
	const n = 300
	rnd := rand.New(rand.NewPCG(1, 2))
	type arm struct {
		d   time.Duration
		idx int
	}
	arms := make([]arm, n)
	for i := range arms {
		// many ties: 30 distinct deadlines
		arms[i] = arm{d: time.Duration(rnd.IntN(30)) * time.Millisecond, idx: i}
	}
	var mu sync.Mutex
	var got []int
	var running atomic.Int32
	done := make(chan struct{})
	whens := make([][2]int64, n) // deadline and arming order as the heap holds them
	start := time.Now()
	for _, a := range arms {
		a := a
		armed := time.Now()
		tm := b.AfterFunc(100*time.Millisecond+a.d, func() {
			if running.Add(1) != 1 {
				t.Error("callbacks of one shard overlapped")
			}
			if el := time.Since(armed); el < 100*time.Millisecond+a.d {
				t.Errorf("timer %d fired %v after arming, before its deadline %v", a.idx, el, 100*time.Millisecond+a.d)
			}
			mu.Lock()
			got = append(got, a.idx)
			if len(got) == n {
				close(done)
			}
			mu.Unlock()
			running.Add(-1)
		})
		bt := tm.(*batchedTimer)
		whens[a.idx] = [2]int64{bt.when, int64(bt.seq)}
	}
	if time.Since(start) > 90*time.Millisecond {
		t.Skip("machine too loaded to arm 300 timers before the first fell due; ordering not checkable")
	}
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("timers did not all fire")
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	sort.Slice(want, func(i, j int) bool {
		a, b := whens[want[i]], whens[want[j]]
		return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
	})
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fire %d was timer %d (deadline +%v), want timer %d (+%v)", i, got[i], arms[got[i]].d, want[i], arms[want[i]].d)
		}
	}
}

func TestBatchedStopReset(t *testing.T) {
	b := newBatched(t, BatchedConfig{})
	fired := make(chan struct{}, 1)
	tm := b.AfterFunc(time.Hour, func() { fired <- struct{}{} })
	if b.Pending() != 1 {
		t.Fatalf("pending %d, want 1", b.Pending())
	}
	if !tm.Reset(time.Hour) {
		t.Error("Reset of a pending timer reported false")
	}
	if !tm.Stop() {
		t.Error("Stop of a pending timer reported false")
	}
	if tm.Stop() {
		t.Error("second Stop reported true")
	}
	if tm.Reset(0) {
		t.Error("Reset of a stopped timer reported true")
	}
	select {
	case <-fired:
	case <-time.After(wait):
		t.Fatal("reset timer never fired")
	}
	if tm.Stop() {
		t.Error("Stop after the fire reported true")
	}
	if tm.C() != nil {
		t.Error("AfterFunc timer has a channel")
	}
	if b.Pending() != 0 {
		t.Errorf("pending %d after everything fired or stopped", b.Pending())
	}
}

// After Stop or Reset no stale value is read from a timer's channel
// (time.Timer semantics since Go 1.23).
func TestBatchedTimerChannelNoStaleValue(t *testing.T) {
	b := newBatched(t, BatchedConfig{})
	for _, op := range []string{"stop", "reset"} {
		t.Run(op, func(t *testing.T) {
			tm := b.NewTimer(0)
			waitFor(t, "timer fired", func() bool { return b.Pending() == 0 })
			var was bool
			if op == "stop" {
				was = tm.Stop()
			} else {
				was = tm.Reset(time.Hour)
			}
			if was {
				t.Errorf("%s after the fire reported pending", op)
			}
			select {
			case v := <-tm.C():
				t.Fatalf("stale value %v after %s", v, op)
			default:
			}
			tm.Stop()
		})
	}
	tm := b.NewTimer(time.Millisecond)
	armed := time.Now()
	if v := recv(t, tm.C(), "timer"); v.Before(armed.Add(time.Millisecond)) {
		t.Errorf("timer value %v before its deadline %v", v, armed.Add(time.Millisecond))
	}
}

func TestBatchedTicker(t *testing.T) {
	b := newBatched(t, BatchedConfig{})
	tk := b.NewTicker(2 * time.Millisecond)
	prev := recv(t, tk.C(), "tick 1")
	for i := 2; i <= 5; i++ {
		v := recv(t, tk.C(), "tick")
		if !v.After(prev) {
			t.Fatalf("tick %d at %v not after %v", i, v, prev)
		}
		prev = v
	}
	tk.Reset(time.Hour)
	select {
	case <-tk.C():
		t.Fatal("stale tick after Reset")
	default:
	}
	tk.Reset(time.Millisecond)
	recv(t, tk.C(), "tick after Reset")
	tk.Stop()
	select {
	case <-tk.C():
		t.Fatal("tick after Stop")
	default:
	}
	if b.Pending() != 0 {
		t.Errorf("stopped ticker still pending")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewTicker(0) did not panic")
		}
	}()
	b.NewTicker(0)
}

// Stop racing the fire: for every timer exactly one of "Stop reported true"
// and "the callback ran" happens. Run with -race.
func TestBatchedStopRace(t *testing.T) {
	b := newBatched(t, BatchedConfig{Shards: 2})
	const n = 2000
	var fired [n]atomic.Int32
	stopped := make([]bool, n)
	timers := make([]Timer, n)
	for i := range timers {
		i := i
		timers[i] = b.AfterFunc(time.Duration(i%50)*time.Microsecond, func() { fired[i].Add(1) })
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				stopped[i] = timers[i].Stop()
			}
		}(w)
	}
	wg.Wait()
	waitFor(t, "unstopped timers fired", func() bool {
		for i := range timers {
			if !stopped[i] && fired[i].Load() == 0 {
				return false
			}
		}
		return true
	})
	for i := range timers {
		f := fired[i].Load()
		if stopped[i] && f != 0 {
			t.Fatalf("timer %d: Stop reported true but it fired", i)
		}
		if f > 1 {
			t.Fatalf("timer %d fired %d times", i, f)
		}
	}
}

// Reset racing the fire and other Resets from many goroutines; every timer
// ends up firing exactly once after its last Reset.
func TestBatchedResetRace(t *testing.T) {
	b := newBatched(t, BatchedConfig{Shards: 2})
	const n = 200
	var fired [n]atomic.Int32
	timers := make([]Timer, n)
	for i := range timers {
		i := i
		timers[i] = b.AfterFunc(time.Hour, func() { fired[i].Add(1) })
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				for i := range timers {
					timers[i].Reset(time.Hour + time.Duration(w+r)*time.Millisecond)
				}
			}
		}(w)
	}
	wg.Wait()
	for i := range timers {
		fired[i].Store(0)
		timers[i].Reset(time.Duration(i%5) * time.Microsecond)
	}
	waitFor(t, "all fired", func() bool {
		for i := range fired {
			if fired[i].Load() == 0 {
				return false
			}
		}
		return true
	})
	if b.Pending() != 0 {
		t.Fatalf("pending %d", b.Pending())
	}
	for i := range fired {
		if f := fired[i].Load(); f != 1 {
			t.Fatalf("timer %d fired %d times after its last Reset", i, f)
		}
	}
}

// A callback that blocks does not hold up its shard: a fresh worker takes
// over and later timers fire while it is still blocked.
func TestBatchedHandoffFromBlockedCallback(t *testing.T) {
	t.Run("fresh clock", func(t *testing.T) { testHandoff(t, 0) })
	// the watchdog is stopped while the shard sleeps: the wake-up that
	// runs the blocking callback must arm it again
	t.Run("after idle", func(t *testing.T) { testHandoff(t, 20*time.Millisecond) })
}

func testHandoff(t *testing.T, idle time.Duration) {
	b := newBatched(t, BatchedConfig{Shards: 1, Handoff: time.Millisecond})
	time.Sleep(idle)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the clock's Close, which waits for the callback
	blocked := make(chan struct{})
	b.AfterFunc(0, func() {
		close(blocked)
		<-release
	})
	<-blocked
	later := make(chan struct{})
	b.AfterFunc(time.Millisecond, func() { close(later) })
	select {
	case <-later:
	case <-time.After(wait):
		t.Fatal("a blocked callback held up its shard")
	}
	// a self-re-arming timer keeps going on the new worker
	var n atomic.Int32
	var self Timer
	var mu sync.Mutex
	mu.Lock()
	self = b.AfterFunc(0, func() {
		if n.Add(1) < 10 {
			mu.Lock()
			self.Reset(0)
			mu.Unlock()
		}
	})
	mu.Unlock()
	waitFor(t, "self re-arming timer", func() bool { return n.Load() == 10 })
	if st := b.Stats(); st.Handoffs == 0 || st.Fires < 12 {
		t.Errorf("stats %+v: want a handoff and at least 12 fires", st)
	}
}

func TestBatchedClose(t *testing.T) {
	b := NewBatched(BatchedConfig{})
	var fired atomic.Int32
	for i := 0; i < 100; i++ {
		b.AfterFunc(time.Hour, func() { fired.Add(1) })
	}
	tk := b.NewTicker(time.Hour)
	b.Close()
	b.Close() // idempotent
	goleak.VerifyNone(t)
	if b.Pending() != 0 {
		t.Errorf("pending %d after Close", b.Pending())
	}
	late := b.AfterFunc(0, func() { fired.Add(1) })
	if late.Stop() || late.Reset(0) {
		t.Error("timer of a closed clock reported pending")
	}
	tk.Stop()
	tk.Reset(time.Second)
	if fired.Load() != 0 || b.Pending() != 0 {
		t.Errorf("closed clock fired %d timers, %d pending", fired.Load(), b.Pending())
	}
}

// Sleep and Since work on Batched as on any Clock.
func TestBatchedSleep(t *testing.T) {
	b := newBatched(t, BatchedConfig{})
	start := b.Now()
	if err := Sleep(t.Context(), b, 2*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := Since(b, start); d < 2*time.Millisecond {
		t.Fatalf("Sleep returned after %v", d)
	}
}
