package cstorage

import (
	"context"
	"errors"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// pollPlan asks the cloud for the channel's plan now and then every
// PlanPoll (CS2); s.mu held. A query in progress is not duplicated.
func (s *SDK) pollPlan(c *channel) {
	if c.polling || s.exiting {
		return
	}
	c.polling = true
	dev, ch := s.cfg.Device, c.idx
	var p cloudapi.Plan
	s.call(OpPlan, ch, 0, s.trans, func(ctx context.Context) error {
		var err error
		p, err = s.st.QueryPlan(ctx, dev, ch, 0)
		return err
	}, func(err error) {
		c.polling = false
		if err == nil {
			s.applyPlan(c, p)
		}
		d := s.cfg.PlanPoll
		if s.rnd != nil {
			d += time.Duration(s.rnd.Int64N(int64(d)/5+1)) - d/10 // ±10 % spreads a fleet's polls
		}
		s.after(d, func() { s.pollPlan(c) })
	})
}

// applyPlan caches a plan and starts or stops recording (CS2–CS4); s.mu held.
func (s *SDK) applyPlan(c *channel, p cloudapi.Plan) {
	c.setPlan(p)
	s.updateRecording(c)
}

// Balance is iv_cs_balance_info_s.
type Balance struct {
	Switch bool // cs_switch: the plan is valid
	Plan   cloudapi.Plan
}

// BalanceInfo is iv_cs_get_balance_info (CS2). With timeout 0 it returns
// the cached plan at once; otherwise it asks the cloud and waits up to
// timeout (CodeQueryTimeout when the answer is late, CodeOffline when the
// cloud cannot be reached). A blocking query also works before Init.
func (s *SDK) BalanceInfo(ch int, timeout time.Duration) (Balance, error) {
	const op = "BalanceInfo"
	s.mu.Lock()
	if timeout <= 0 {
		defer s.mu.Unlock()
		c, err := s.op(op, ch)
		if err != nil {
			return Balance{}, err
		}
		if !c.planKnown {
			return Balance{Plan: cloudapi.Plan{Kind: cloudapi.PlanNone}}, nil
		}
		return Balance{Switch: c.planOK(), Plan: c.plan}, nil
	}
	if ch < 0 || ch >= MaxChannels || (s.inited && ch >= len(s.chans)) {
		s.mu.Unlock()
		return Balance{}, newErr(op, CodeInvalidParam, "channel %d", ch)
	}
	dev := s.cfg.Device
	s.mu.Unlock()
	var p cloudapi.Plan
	err := s.syncCall(OpPlan, ch, 0, timeout, func(ctx context.Context) error {
		var err error
		p, err = s.st.QueryPlan(ctx, dev, ch, 0)
		return err
	})
	if err != nil {
		if isTimeout(err) {
			return Balance{}, newErr(op, CodeQueryTimeout, "no answer within %v", timeout)
		}
		var ce *cloudapi.Error
		if errors.As(err, &ce) && ce.Code == cloudapi.CodeNoService {
			return Balance{}, newErr(op, CodeNoService, "%v", err)
		}
		return Balance{}, newErr(op, CodeOffline, "%v", err)
	}
	s.mu.Lock()
	if s.inited && !s.exiting {
		s.applyPlan(s.chans[ch], p)
	}
	s.mu.Unlock()
	s.flush()
	return Balance{Switch: p.Valid && p.Kind != cloudapi.PlanNone, Plan: p}, nil
}

// QueryPlan is BalanceInfo's plan alone.
func (s *SDK) QueryPlan(ch int, timeout time.Duration) (cloudapi.Plan, error) {
	b, err := s.BalanceInfo(ch, timeout)
	return b.Plan, err
}

// ResourceDestroy is iv_cs_resource_destroy: the cloud deletes everything it
// holds for the device and the plans are reset (to none until the next poll).
func (s *SDK) ResourceDestroy(timeout time.Duration) error {
	const op = "ResourceDestroy"
	if timeout <= 0 {
		return newErr(op, CodeInvalidParam, "timeout %v", timeout)
	}
	s.mu.Lock()
	if !s.inited || s.exiting {
		s.mu.Unlock()
		return newErr(op, CodeNotInit, "not initialised")
	}
	dev := s.cfg.Device
	s.mu.Unlock()
	err := s.syncCall(OpDestroy, 0, 0, timeout, func(ctx context.Context) error {
		return s.st.DestroyResources(ctx, dev)
	})
	if err != nil {
		return sendErr(op, err)
	}
	s.mu.Lock()
	if s.inited && !s.exiting {
		for _, c := range s.chans {
			s.applyPlan(c, cloudapi.Plan{Kind: cloudapi.PlanNone})
		}
	}
	s.mu.Unlock()
	s.flush()
	return nil
}
