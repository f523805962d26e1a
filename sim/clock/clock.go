// Package clock is the time source every part of fleetsim is driven by.
//
// Device logic, links, the mock cloud and the runner never call time.Now,
// time.Sleep or time.AfterFunc directly: they take a Clock. In a real run the
// Clock is Real (wall time); in tests it is a Fake that only moves when the
// test advances it, so that timing-dependent behaviour is tested without
// sleeps and replays exactly.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and schedules work.
type Clock interface {
	// Now is the current time of this clock.
	Now() time.Time
	// AfterFunc calls f once, d from now. On a Fake, f runs synchronously
	// inside Advance, in deadline order; on Real, in its own goroutine.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTimer returns a timer whose channel receives the time once, d from now.
	NewTimer(d time.Duration) Timer
	// NewTicker returns a ticker that sends the time every d (d > 0).
	NewTicker(d time.Duration) Ticker
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	// C is the channel of a timer made by NewTimer; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was pending.
	Stop() bool
	// Reset re-arms the timer d from now; it reports whether it was pending.
	Reset(d time.Duration) bool
}

// Ticker is a periodic timer of a Clock.
type Ticker interface {
	C() <-chan time.Time
	Stop()
	Reset(d time.Duration)
}

// Since is c.Now().Sub(t).
func Since(c Clock, t time.Time) time.Duration { return c.Now().Sub(t) }

// Sleep waits d on c, or until ctx is done (then it returns ctx.Err()).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
