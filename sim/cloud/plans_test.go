package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

func TestPlansVersionAndLongPoll(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	p := newPlans(clk, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	k := chanKey{"cam-1", 0}
	first := p.Get(k)
	if first.Version != 1 || first.Kind != cloudapi.PlanFullTime {
		t.Fatalf("default plan %+v", first)
	}
	// a long poll with the current version waits for the change
	got := make(chan cloudapi.Plan, 1)
	go func() { got <- p.Wait(context.Background(), k, first.Version, time.Minute) }()
	// wait until the poller holds its timer on the fake clock
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	set := p.Set(k, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
	pl := <-got
	if pl.Kind != cloudapi.PlanEvent || pl.Version != set.Version || pl.Version != 2 {
		t.Fatalf("long poll returned %+v, set %+v", pl, set)
	}
	// a poll with an old version returns at once
	if pl := p.Wait(context.Background(), k, 1, time.Minute); pl.Version != 2 {
		t.Fatalf("stale poll %+v", pl)
	}
	// a poll that times out returns the unchanged plan
	go func() { got <- p.Wait(context.Background(), k, 2, 30*time.Second) }()
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	clk.Advance(30 * time.Second)
	if pl := <-got; pl.Version != 2 {
		t.Fatalf("timed out poll %+v", pl)
	}
}

func TestPlansFreeTrialExpires(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	p := newPlans(clk, cloudapi.Plan{Kind: cloudapi.PlanNone})
	k := chanKey{"cam-2", 1}
	p.Set(k, cloudapi.Plan{Kind: cloudapi.PlanFreeTrial, Valid: true, Remaining: 90 * time.Second})
	clk.Advance(60 * time.Second)
	pl := p.Get(k)
	if !pl.Valid || pl.Remaining != 30*time.Second {
		t.Fatalf("after 60 s: %+v", pl)
	}
	clk.Advance(30 * time.Second)
	pl = p.Get(k)
	if pl.Valid || pl.Remaining != 0 || pl.Version != 3 {
		t.Fatalf("after 90 s: %+v (want invalid, version 3)", pl)
	}
	// an expiring plan
	p.Set(k, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true, Expires: clk.Now().Add(time.Hour)})
	clk.Advance(time.Hour)
	if pl := p.Get(k); pl.Valid {
		t.Fatalf("after expiry: %+v", pl)
	}
}

func TestPlansDeleteWakesPolls(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	p := newPlans(clk, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
	k := chanKey{"cam-3", 0}
	p.Set(k, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	got := make(chan cloudapi.Plan, 1)
	go func() { got <- p.Wait(context.Background(), k, 2, time.Minute) }()
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	p.Delete("cam-3")
	if pl := <-got; pl.Kind != cloudapi.PlanEvent || pl.Version != 1 {
		t.Fatalf("after destroy: %+v", pl)
	}
}
