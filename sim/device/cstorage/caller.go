package cstorage

import (
	"context"
	"errors"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// VirtualStorage is implemented by an in-memory cloud on a virtual clock
// (sim/cloudapi/fakecloud). CallDelay says how long a call of op ("plan",
// "slice", "picture", "event", "destroy") carrying size bytes would take on
// the device's link: send is the time to send the request body, reply the
// wait for the answer. The SDK then makes the call, which returns at once,
// at the virtual time its reply arrives — or gives up with a timeout at the
// time the real call would have timed out, without making it.
type VirtualStorage interface {
	CallDelay(op, device string, channel, size int) (send, reply time.Duration)
}

// Call operations, as passed to VirtualStorage.CallDelay.
const (
	OpPlan    = "plan"
	OpSlice   = "slice"
	OpPicture = "picture"
	OpEvent   = "event"
	OpDestroy = "destroy"
)

// errCallTimeout is the cause of a call that ran out of time.
var errCallTimeout = errors.New("cstorage: call timed out")

// isTimeout reports whether err is a call timeout.
func isTimeout(err error) bool {
	return errors.Is(err, errCallTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// limits are the deadlines of one call: the body must be sent within send
// and the reply must arrive within reply after that.
type limits struct{ send, reply time.Duration }

func (l limits) total() time.Duration { return l.send + l.reply }

// timer is an SDK timer; Exit stops every pending one.
type timer struct{ t clock.Timer }

// after runs f with s.mu held, d from now. It must be called with s.mu held;
// once Exit has begun it does nothing.
func (s *SDK) after(d time.Duration, f func()) *timer {
	if s.exiting {
		return nil
	}
	t := &timer{}
	s.timers[t] = struct{}{}
	t.t = s.clk.AfterFunc(d, func() {
		s.mu.Lock()
		if _, ok := s.timers[t]; !ok || s.exiting {
			s.mu.Unlock()
			return
		}
		delete(s.timers, t)
		f()
		s.unlockFlush()
	})
	return t
}

// stopTimer stops t (nil is fine); s.mu held.
func (s *SDK) stopTimer(t *timer) {
	if t == nil {
		return
	}
	t.t.Stop()
	delete(s.timers, t)
}

// call runs fn against the cloud without blocking the caller and then done
// with its error, with s.mu held. s.mu must be held.
func (s *SDK) call(op string, ch, size int, lim limits, fn func(ctx context.Context) error, done func(err error)) {
	if s.exiting {
		return
	}
	if s.vst != nil {
		send, reply := s.vst.CallDelay(op, s.cfg.Device, ch, size)
		switch {
		case send > lim.send:
			s.after(lim.send, func() { done(errCallTimeout) })
		case reply > lim.reply:
			s.after(send+lim.reply, func() { done(errCallTimeout) })
		default:
			s.after(send+reply, func() { done(fn(s.ctx)) })
		}
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, stop := s.deadline(s.ctx, lim.total())
		err := fn(ctx)
		if err != nil && ctx.Err() != nil && errors.Is(context.Cause(ctx), errCallTimeout) {
			err = errCallTimeout
		}
		stop()
		s.mu.Lock()
		done(err)
		s.mu.Unlock()
		s.flush()
	}()
}

// syncCall runs fn and waits for it, up to timeout; s.mu must not be held.
func (s *SDK) syncCall(op string, ch, size int, timeout time.Duration, fn func(ctx context.Context) error) error {
	if s.vst != nil {
		send, reply := s.vst.CallDelay(op, s.cfg.Device, ch, size)
		if send+reply > timeout {
			return errCallTimeout
		}
		return fn(context.Background())
	}
	ctx, stop := s.deadline(context.Background(), timeout)
	defer stop()
	err := fn(ctx)
	if err != nil && errors.Is(context.Cause(ctx), errCallTimeout) {
		return errCallTimeout
	}
	return err
}

// deadline derives a context cancelled with errCallTimeout after d on the
// SDK's clock (not the wall clock), so a Fake clock drives timeouts.
func (s *SDK) deadline(parent context.Context, d time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	t := s.clk.AfterFunc(d, func() { cancel(errCallTimeout) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}
