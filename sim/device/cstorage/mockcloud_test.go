package cstorage

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	msource "github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// TestAgainstMockCloudOverHTTP runs the SDK against the mock cloud of
// sim/cloud over loopback HTTP (httpapi client, one goroutine per call):
// real TS slices of the stamped source are verified by the cloud, every
// frame gets exactly one fate between device and cloud, also when the
// cloud withdraws the plan mid-run.
func TestAgainstMockCloudOverHTTP(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	rec := &recorder{}
	mc := cloud.New(cloud.Config{RTMPAddr: "off", RTPAddr: "off"}, clk, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := mc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	mc.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	client, err := httpapi.New(mc.BaseURL(), httpapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sh, ac := quickstart(t, av.H264)
	mx, err := MediaMuxers(av.H264, ac, sh.FrameInterval())
	if err != nil {
		t.Fatal(err)
	}
	sdk := New(Deps{Clock: clk, Storage: client, Sink: rec, Muxers: mx})
	cfg := DefaultConfig(dev, 7)
	cfg.PlanPoll = 5 * time.Second
	if err := sdk.Init(cfg, rec.callbacks()); err != nil {
		t.Fatal(err)
	}
	defer sdk.Close()
	// The fake clock runs far ahead of the real HTTP calls below: timeouts
	// on it would only measure the test's pace.
	if err := sdk.SetTransTime(time.Hour, time.Hour); err != nil {
		t.Fatal(err)
	}
	// moves the fake clock while the HTTP calls run in real time
	settle := func(cond func() bool) {
		for i := 0; i < 200000 && !cond(); i++ {
			clk.Advance(time.Millisecond)
			runtime.Gosched()
		}
	}
	settle(func() bool { b, _ := sdk.BalanceInfo(0, 0); return b.Switch })
	src := msource.New(sh, 7, clk, rng.New(1, "src"), msource.SinkFunc(func(f *av.Frame, _ time.Duration) {
		sdk.PushStream(0, f)
	}))
	srcCtx, stopSrc := context.WithCancel(ctx)
	src.Start(srcCtx)
	for i := 0; i < 250; i++ { // 25 s in 100 ms steps, letting uploads finish
		clk.Advance(100 * time.Millisecond)
		settle(func() bool { return sdk.Stats().SlicesCut == sdk.Stats().SlicesUploaded+sdk.Stats().SlicesFailed })
	}
	mc.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
	for i := 0; i < 150; i++ {
		clk.Advance(100 * time.Millisecond)
		settle(func() bool { return len(sdk.InFlight()) < 400 })
	}
	src.Stop()
	stopSrc()
	settle(func() bool {
		return len(rec.logged("push_stop")) == 1 && sdk.Stats().SlicesCut == sdk.Stats().SlicesUploaded+sdk.Stats().SlicesFailed
	})
	if err := sdk.Exit(); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(observe.SliceUploaded); n < 2 {
		t.Fatalf("uploaded %d slices; failed %+v", n, rec.of(observe.SliceFailed))
	}
	if r := rec.reasons(observe.FrameRejected); len(r) != 0 {
		t.Fatalf("the mock cloud rejected frames: %v", r)
	}
	if rec.reasons(observe.FrameLost)[observe.ReasonNoService] == 0 || len(rec.logged("notify 0 service_wrong")) == 0 {
		t.Fatalf("the withdrawn plan was not seen: lost %v", rec.reasons(observe.FrameLost))
	}
	delivered := rec.count(observe.FrameDelivered)
	rec.mu.Lock()
	obs := append([]observe.Observation(nil), rec.obs...)
	rec.mu.Unlock()
	sent, fated := checkAccounting(t, obs, nil)
	t.Logf("%d frames sent, %d fates, %d delivered by the mock cloud", sent, fated, delivered)
}
