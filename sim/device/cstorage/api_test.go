package cstorage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/media/av"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// TestCS2PlansPerChannel runs three channels with different plans: each
// channel records, waits or refuses on its own.
func TestCS2PlansPerChannel(t *testing.T) {
	r := newRig(t, cloudapi.PlanFullTime, func(c *Config) {
		c.Channels = []ChannelConfig{DefaultChannel(), DefaultChannel(), DefaultChannel()}
	})
	r.cloud.SetPlan(dev, 1, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
	r.clk.Advance(r.cfg.PlanPoll * 2)
	r.src = newSource(r.clk.Now(), 30)
	push := func(d time.Duration) {
		until := r.clk.Now().Add(d).Sub(r.src.start)
		for f := r.src.next(until); f != nil; f = r.src.next(until) {
			r.clk.AdvanceTo(r.src.start.Add(f.PTS))
			for ch := 0; ch < 3; ch++ {
				if err := r.sdk.PushStream(ch, f); err != nil {
					r.pushErrs[CodeOf(err)]++
				}
			}
		}
	}
	push(5 * time.Second)
	if err := r.sdk.EventStart(1, 7, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "event on a channel without plan", r.sdk.EventStart(2, 7, ""), CodeNoService)
	push(12 * time.Second)
	if err := r.sdk.EventStop(1, 7, ""); err != nil {
		t.Fatal(err)
	}
	push(15 * time.Second)
	if got := r.rec.logged("push_", "event_result"); !cmp.Equal(got, []string{"push_start 0", "push_start 1", "push_stop 1", "event_result 1 7 ok=true"}) {
		t.Fatalf("callbacks %v", got)
	}
	if n0, n1, n2 := len(r.cloud.Stored(dev, 0)), len(r.cloud.Stored(dev, 1)), len(r.cloud.Stored(dev, 2)); n0 < 2 || n1 < 1 || n1 >= n0 || n2 != 0 {
		t.Fatalf("stored per channel %d/%d/%d", n0, n1, n2)
	}
	drops := map[int]map[string]int{}
	for _, o := range r.rec.of(observe.FrameDropped) {
		if drops[o.Channel] == nil {
			drops[o.Channel] = map[string]int{}
		}
		drops[o.Channel][o.Reason]++
	}
	if drops[2][observe.ReasonNoService] == 0 || drops[0][observe.ReasonNoService] != 0 || drops[1][ReasonNotRecording] == 0 {
		t.Fatalf("drops per channel %v", drops)
	}
	if got := AccountedMemory(r.cfg); got != 3*ChannelMemory(DefaultChannel()) {
		t.Fatalf("memory %v", got)
	}
	wantCode(t, "channel 3", r.sdk.PushStream(3, r.src.next(time.Hour)), CodeInvalidParam)
	wantCode(t, "unknown codec", r.sdk.PushStream(0, &av.Frame{Seq: 1 << 40, Payload: []byte{1}}), CodeInvalidParam)
	wantCode(t, "empty frame", r.sdk.PushStream(0, &av.Frame{Codec: av.AAC, Seq: 1 << 41}), CodeInvalidParam)
	r.accounting()
}

func TestResourceDestroy(t *testing.T) {
	r := newRig(t, cloudapi.PlanFullTime, nil)
	r.run(25 * time.Second)
	if len(r.cloud.Stored(dev, 0)) == 0 {
		t.Fatal("nothing stored")
	}
	wantCode(t, "zero timeout", r.sdk.ResourceDestroy(0), CodeInvalidParam)
	r.cloud.SetFaults(fakecloud.Faults{Offline: true})
	wantCode(t, "offline", r.sdk.ResourceDestroy(5*time.Second), CodeHTTPSend)
	r.cloud.SetFaults(fakecloud.Faults{})
	if err := r.sdk.ResourceDestroy(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(r.cloud.Stored(dev, 0)) != 0 {
		t.Fatal("cloud kept the device's slices")
	}
	if b, _ := r.sdk.BalanceInfo(0, 0); b.Switch || b.Plan.Kind != cloudapi.PlanNone {
		t.Fatalf("plan not reset: %+v", b)
	}
	if got := r.rec.logged("push_"); !cmp.Equal(got, []string{"push_start 0", "push_stop 0"}) {
		t.Fatalf("callbacks %v", got)
	}
	r.run(5 * time.Second)
	r.accounting()
}

func TestAIProcess(t *testing.T) {
	r := newRig(t, cloudapi.PlanEvent, nil)
	if got, err := r.sdk.GetAIProcess(0, 3); err != nil || got != AIClose {
		t.Fatalf("default %v %v", got, err)
	}
	if err := r.sdk.SetAIProcess(0, 3, AIFallDetect); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.sdk.GetAIProcess(0, 3); got != AIFallDetect {
		t.Fatalf("got %v", got)
	}
	if got, _ := r.sdk.GetAIProcess(0, 4); got != AIClose {
		t.Fatal("AI setting leaked to another event id")
	}
	r.sdk.SetAIProcess(0, 3, AIClose)
	if got, _ := r.sdk.GetAIProcess(0, 3); got != AIClose {
		t.Fatal("not closed")
	}
	wantCode(t, "unknown type", r.sdk.SetAIProcess(0, 3, 1<<5), CodeInvalidParam)
	wantCode(t, "bad id", r.sdk.SetAIProcess(0, 99, AIFallDetect), CodeInvalidParam)
	_, err := r.sdk.GetAIProcess(2, 1)
	wantCode(t, "bad channel", err, CodeInvalidParam)
}

func TestDetachAndBusy(t *testing.T) {
	r := newRig(t, cloudapi.PlanFullTime, nil)
	r.cloud.SetFaults(fakecloud.Faults{Offline: true})
	r.run(25 * time.Second)
	if !r.sdk.Busy() {
		t.Fatal("not busy with slices waiting for upload")
	}
	heldRefs := r.sdk.InFlight()
	held := len(heldRefs)
	dropped := r.rec.count(observe.FrameDropped)
	if err := r.sdk.Detach(); err != nil {
		t.Fatal(err)
	}
	if r.rec.count(observe.FrameDropped) != dropped {
		t.Fatal("Detach gave held frames a fate")
	}
	// the frames held at Detach stay without a fate: in flight
	sent, fated := checkAccounting(t, r.rec.obs, heldRefs)
	if held == 0 || fated+held != sent {
		t.Fatalf("sent %d = fates %d + held %d?", sent, fated, held)
	}
	r2 := newRig(t, cloudapi.PlanFullTime, nil)
	r2.run(25 * time.Second)
	r2.clk.Advance(5 * time.Second)
	if r2.sdk.Busy() {
		t.Fatal("busy with nothing to upload")
	}
}
