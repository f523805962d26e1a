package clock

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestFakeFiresInDeadlineOrder(t *testing.T) {
	c := NewFake(Epoch())
	var got []string
	c.AfterFunc(30*time.Millisecond, func() { got = append(got, "c") })
	c.AfterFunc(10*time.Millisecond, func() {
		got = append(got, "a")
		// scheduled from inside a callback, due within the same Advance
		c.AfterFunc(5*time.Millisecond, func() { got = append(got, "b") })
	})
	stopped := c.AfterFunc(20*time.Millisecond, func() { got = append(got, "never") })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	c.Advance(25 * time.Millisecond)
	if want := "ab"; join(got) != want {
		t.Fatalf("after 25ms fired %q, want %q", join(got), want)
	}
	if d := c.Now().Sub(Epoch()); d != 25*time.Millisecond {
		t.Fatalf("Now advanced by %v", d)
	}
	c.Advance(5 * time.Millisecond)
	if want := "abc"; join(got) != want {
		t.Fatalf("fired %q, want %q", join(got), want)
	}
}

func TestFakeNowDuringCallbackIsDeadline(t *testing.T) {
	c := NewFake(Epoch())
	var at time.Time
	c.AfterFunc(7*time.Second, func() { at = c.Now() })
	c.Advance(time.Minute)
	if !at.Equal(Epoch().Add(7 * time.Second)) {
		t.Fatalf("callback saw %v", at)
	}
}

func TestFakeTickerAndReset(t *testing.T) {
	c := NewFake(Epoch())
	tk := c.NewTicker(time.Second)
	n := 0
	for i := 0; i < 3; i++ {
		c.Advance(time.Second)
		select {
		case <-tk.C():
			n++
		default:
		}
	}
	if n != 3 {
		t.Fatalf("ticks %d, want 3", n)
	}
	tk.Stop()
	c.Advance(5 * time.Second)
	select {
	case <-tk.C():
		t.Fatal("tick after Stop")
	default:
	}
	tm := c.NewTimer(time.Second)
	if !tm.Reset(3 * time.Second) {
		t.Fatal("Reset of pending timer reported false")
	}
	c.Advance(2 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("timer fired before its reset deadline")
	default:
	}
	c.Advance(time.Second)
	select {
	case <-tm.C():
	default:
		t.Fatal("timer did not fire")
	}
}

func TestSleepHonoursContext(t *testing.T) {
	c := NewFake(Epoch())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, c, time.Hour); err == nil {
		t.Fatal("Sleep on a cancelled context returned nil")
	}
	done := make(chan error, 1)
	go func() { done <- Sleep(context.Background(), c, time.Second) }()
	for c.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestStepRunsEventByEvent(t *testing.T) {
	c := NewFake(Epoch())
	n := 0
	c.AfterFunc(time.Hour, func() { n++ })
	c.AfterFunc(2*time.Hour, func() { n++ })
	if !c.Step() || n != 1 || !c.Now().Equal(Epoch().Add(time.Hour)) {
		t.Fatalf("first step: n=%d now=%v", n, c.Now())
	}
	if !c.Step() || n != 2 || c.Step() {
		t.Fatal("second step")
	}
}

func join(s []string) string {
	out := ""
	for _, x := range s {
		out += x
	}
	return out
}

// TestFakeOrderMatchesSort arms, re-arms and stops many timers at random
// deadlines (with ties) and checks that they fire in (deadline, last arming)
// order, each at its deadline, as sorting them says.
func TestFakeOrderMatchesSort(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		c := NewFake(Epoch())
		type armed struct {
			id    int
			at    time.Duration
			order int
		}
		var want []armed
		var got []armed
		timers := make([]Timer, 200)
		state := make([]armed, len(timers))
		live := make([]bool, len(timers))
		order := 0
		for i := range timers {
			i := i
			d := time.Duration(r.IntN(50)) * time.Millisecond
			timers[i] = c.AfterFunc(d, func() { got = append(got, armed{id: i, at: c.Now().Sub(Epoch())}) })
			order++
			state[i], live[i] = armed{id: i, at: d, order: order}, true
		}
		for range 300 {
			i := r.IntN(len(timers))
			switch r.IntN(3) {
			case 0:
				if timers[i].Stop() != live[i] {
					t.Fatalf("seed %d: Stop of timer %d reported %v", seed, i, !live[i])
				}
				live[i] = false
			default:
				d := time.Duration(r.IntN(50)) * time.Millisecond
				if timers[i].Reset(d) != live[i] {
					t.Fatalf("seed %d: Reset of timer %d reported %v", seed, i, !live[i])
				}
				order++
				state[i], live[i] = armed{id: i, at: d, order: order}, true
			}
		}
		for i := range timers {
			if live[i] {
				want = append(want, state[i])
			}
		}
		slices.SortFunc(want, func(a, b armed) int {
			if a.at != b.at {
				return cmp.Compare(a.at, b.at)
			}
			return cmp.Compare(a.order, b.order)
		})
		if c.Pending() != len(want) {
			t.Fatalf("seed %d: %d pending, want %d", seed, c.Pending(), len(want))
		}
		c.Advance(time.Second)
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d fired, want %d", seed, len(got), len(want))
		}
		for k := range want {
			if got[k].id != want[k].id || got[k].at != want[k].at {
				t.Fatalf("seed %d: fire %d was timer %d at %v, want %d at %v", seed, k, got[k].id, got[k].at, want[k].id, want[k].at)
			}
		}
	}
}

// TestFakeFarDeadlines: a timer armed (nearly) forever never fires, even
// when the deadline does not fit after the current time.
func TestFakeFarDeadlines(t *testing.T) {
	c := NewFake(Epoch())
	c.Advance(time.Hour)
	fired := false
	c.AfterFunc(time.Duration(math.MaxInt64), func() { fired = true })
	c.Advance(1000 * time.Hour)
	if fired {
		t.Fatal("a timer armed for MaxInt64 fired")
	}
	if next, ok := c.Next(); !ok || !next.After(c.Now()) {
		t.Fatalf("Next = %v, %v", next, ok)
	}
}

// TestFakeTickerEveryPeriod: a ticker's callbacks see every period, the
// channel drops ticks nobody reads, and Reset changes the period.
func TestFakeTickerEveryPeriod(t *testing.T) {
	c := NewFake(Epoch())
	tk := c.NewTicker(10 * time.Millisecond)
	c.Advance(35 * time.Millisecond)
	select {
	case at := <-tk.C():
		if want := Epoch().Add(10 * time.Millisecond); !at.Equal(want) {
			t.Fatalf("first tick at %v, want %v", at, want)
		}
	default:
		t.Fatal("no tick")
	}
	tk.Reset(time.Second)
	c.Advance(999 * time.Millisecond)
	select {
	case at := <-tk.C():
		t.Fatalf("tick at %v before the new period", at)
	default:
	}
	c.Advance(time.Millisecond)
	select {
	case at := <-tk.C():
		if want := Epoch().Add(1035 * time.Millisecond); !at.Equal(want) {
			t.Fatalf("tick at %v, want %v", at, want)
		}
	default:
		t.Fatal("no tick after Reset")
	}
}

// TestFakeNoAllocPerRearm: re-arming and firing an AfterFunc timer
// allocates nothing.
func TestFakeNoAllocPerRearm(t *testing.T) {
	c := NewFake(Epoch())
	var tm Timer
	tm = c.AfterFunc(time.Millisecond, func() { tm.Reset(time.Millisecond) })
	for range 8 { // warm the heap
		c.AfterFunc(time.Hour, func() {})
	}
	if n := testing.AllocsPerRun(100, func() { c.Advance(10 * time.Millisecond) }); n != 0 {
		t.Fatalf("%v allocations per advance of 10 fires", n)
	}
}

// BenchmarkFakeRearm is one fire of a self-re-arming timer among 1,000
// armed ones (a fleet's frame timers on one fake clock).
func BenchmarkFakeRearm(b *testing.B) {
	c := NewFake(Epoch())
	for i := range 1000 {
		var tm Timer
		d := time.Duration(1000+i) * time.Microsecond
		tm = c.AfterFunc(d, func() { tm.Reset(d); _ = c.Now() })
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.Step()
	}
}
