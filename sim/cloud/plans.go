package cloud

import (
	"context"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// chanKey names one channel of one device.
type chanKey struct {
	device  string
	channel int
}

// plans holds the plan of every device channel, with a version per channel
// that changes on every change, and wakes long polls (CS2).
type plans struct {
	clk  clock.Clock
	def  cloudapi.Plan
	mu   sync.Mutex
	byCh map[chanKey]*planEntry
}

type planEntry struct {
	plan    cloudapi.Plan
	setAt   time.Time     // when Remaining was last set
	changed chan struct{} // closed and replaced on every change
	expiry  clock.Timer   // ends a free trial or an expiring plan
}

func newPlans(clk clock.Clock, def cloudapi.Plan) *plans {
	return &plans{clk: clk, def: def, byCh: make(map[chanKey]*planEntry)}
}

// entry returns the channel's entry, creating it from the default. mu held.
func (p *plans) entry(k chanKey) *planEntry {
	e := p.byCh[k]
	if e == nil {
		e = &planEntry{plan: p.def, setAt: p.clk.Now(), changed: make(chan struct{})}
		e.plan.Version = 1
		p.byCh[k] = e
		p.armExpiry(k, e)
	}
	return e
}

// current is the plan as of now (free-trial time counted down). mu held.
func (p *plans) current(e *planEntry) cloudapi.Plan {
	pl := e.plan
	if pl.Kind == cloudapi.PlanFreeTrial && pl.Remaining > 0 {
		pl.Remaining -= p.clk.Now().Sub(e.setAt)
		if pl.Remaining < 0 {
			pl.Remaining = 0
		}
	}
	return pl
}

// Get returns the plan of a channel.
func (p *plans) Get(k chanKey) cloudapi.Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current(p.entry(k))
}

// Set replaces a channel's plan and wakes its long polls; it returns the
// plan with its new version.
func (p *plans) Set(k chanKey, pl cloudapi.Plan) cloudapi.Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entry(k)
	p.replace(k, e, pl)
	return e.plan
}

// replace installs pl with the next version. mu held.
func (p *plans) replace(k chanKey, e *planEntry, pl cloudapi.Plan) {
	pl.Version = e.plan.Version + 1
	e.plan = pl
	e.setAt = p.clk.Now()
	close(e.changed)
	e.changed = make(chan struct{})
	p.armExpiry(k, e)
}

// armExpiry schedules the end of a free trial or of an expiring plan. mu held.
func (p *plans) armExpiry(k chanKey, e *planEntry) {
	if e.expiry != nil {
		e.expiry.Stop()
		e.expiry = nil
	}
	if !e.plan.Valid {
		return
	}
	var after time.Duration
	switch {
	case e.plan.Kind == cloudapi.PlanFreeTrial && e.plan.Remaining > 0:
		after = e.plan.Remaining
	case !e.plan.Expires.IsZero():
		after = e.plan.Expires.Sub(p.clk.Now())
	default:
		return
	}
	want := e.plan.Version
	e.expiry = p.clk.AfterFunc(after, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if cur := p.byCh[k]; cur == e && e.plan.Version == want {
			pl := e.plan
			pl.Valid, pl.Remaining = false, 0
			p.replace(k, e, pl)
		}
	})
}

// Wait returns the plan once its version differs from known, or when wait
// passes or ctx ends (then the current plan, unchanged).
func (p *plans) Wait(ctx context.Context, k chanKey, known uint64, wait time.Duration) cloudapi.Plan {
	p.mu.Lock()
	e := p.entry(k)
	if known == 0 || e.plan.Version != known || wait <= 0 {
		pl := p.current(e)
		p.mu.Unlock()
		return pl
	}
	ch := e.changed
	p.mu.Unlock()
	t := p.clk.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C():
	case <-ctx.Done():
	}
	return p.Get(k)
}

// Delete forgets every channel of a device (resource destroy); waiting long
// polls return the default plan.
func (p *plans) Delete(device string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, e := range p.byCh {
		if k.device == device {
			if e.expiry != nil {
				e.expiry.Stop()
			}
			close(e.changed)
			delete(p.byCh, k)
		}
	}
}
