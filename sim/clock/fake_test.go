package clock

import (
	"context"
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
