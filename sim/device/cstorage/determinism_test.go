package cstorage

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// scenario drives one SDK through plans, events, pre-record, faults (with
// random upload errors), clock corrections and idle gaps.
func scenario(t *testing.T, seed uint64, opts ...func(*rig)) ([]observe.Observation, []string) {
	r := newRig(t, cloudapi.PlanEvent, func(c *Config) {
		c.Channels[0].PreRecord = 30 * time.Second
		c.Backfill.Window = 3 * time.Minute
	}, func(_ *rig, fc *fakecloud.Config) { fc.Seed = seed })
	r.sdk.rnd = rng.New(seed, dev, "cs")
	for _, o := range opts {
		o(r)
	}
	r.rec.pic = jpeg
	r.run(40 * time.Second)
	r.sdk.EventStartExt(0, 1, "motion", 0, 20)
	r.run(15 * time.Second)
	r.cloud.SetFaults(fakecloud.Faults{UploadErrorRate: 0.4})
	r.sdk.EventStart(0, 2, "")
	r.run(20 * time.Second)
	r.sdk.EventStop(0, 1, "motion")
	r.cloud.SetFaults(fakecloud.Faults{Offline: true})
	r.run(30 * time.Second)
	r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	r.cloud.SetFaults(fakecloud.Faults{UploadErrorRate: 0.2, SlowReply: 2 * time.Second})
	r.sdk.AdjustClock(-25 * time.Second)
	r.run(40 * time.Second)
	r.sdk.EventStop(0, 2, "")
	r.idle(150 * time.Second)
	r.run(20 * time.Second)
	r.cloud.SetFaults(fakecloud.Faults{})
	r.run(4 * time.Minute)
	r.accounting()
	if err := r.sdk.Exit(); err != nil {
		t.Fatal(err)
	}
	return r.rec.obs, r.rec.log
}

func TestDeterminism(t *testing.T) {
	obs1, log1 := scenario(t, 42)
	obs2, log2 := scenario(t, 42)
	if len(obs1) < 1000 {
		t.Fatalf("scenario too small: %d observations", len(obs1))
	}
	if d := cmp.Diff(obs1, obs2); d != "" {
		t.Fatalf("same seed, different observations (-first +second):\n%.3000s", d)
	}
	if d := cmp.Diff(log1, log2); d != "" {
		t.Fatalf("same seed, different callbacks:\n%s", d)
	}
	obs3, _ := scenario(t, 43)
	if cmp.Equal(obs1, obs3) {
		t.Fatal("a different seed replayed the same run: the fault draws are not seeded")
	}
	kinds := map[observe.Kind]int{}
	for _, o := range obs1 {
		kinds[o.Kind]++
	}
	for _, k := range []observe.Kind{observe.FrameDelivered, observe.SliceFailed, observe.SliceBackfilled, observe.SliceOverwritten, observe.EventReported, observe.Watermark} {
		if kinds[k] == 0 {
			t.Errorf("scenario never produced %v: %v", k, kinds)
		}
	}
}

// TestDirectSlicingIsTheQueuedPath runs the scenario with every frame
// through the send buffer and again with the steady-state shortcut that
// hands a frame to the slicer when nothing waits (push): the observations
// and callbacks must be the same, watermarks, faults and backfill
// included.
func TestDirectSlicingIsTheQueuedPath(t *testing.T) {
	for _, seed := range []uint64{42, 7} {
		queued, qlog := scenario(t, seed, func(r *rig) { r.sdk.viaQueue = true })
		direct, dlog := scenario(t, seed)
		if d := cmp.Diff(queued, direct); d != "" {
			t.Fatalf("seed %d: observations differ (-queued +direct):\n%.3000s", seed, d)
		}
		if d := cmp.Diff(qlog, dlog); d != "" {
			t.Fatalf("seed %d: callbacks differ (-queued +direct):\n%s", seed, d)
		}
	}
	// A low watermark under a frame's size: the queued frame crosses it,
	// so such a frame must take the queued path.
	lowMark := func(viaQueue bool) []observe.Observation {
		r := newRig(t, cloudapi.PlanFullTime, func(c *Config) {
			c.Channels[0].Watermarks = Watermarks{Enabled: true, Low: 2 * units.KiB, Warn: 200 * units.KiB, High: 400 * units.KiB}
		})
		r.sdk.viaQueue = viaQueue
		r.run(30 * time.Second)
		r.accounting()
		return r.rec.obs
	}
	queued, direct := lowMark(true), lowMark(false)
	if d := cmp.Diff(queued, direct); d != "" {
		t.Fatalf("low watermark of 2 KiB: observations differ (-queued +direct):\n%.3000s", d)
	}
	if !slices.ContainsFunc(queued, func(o observe.Observation) bool { return o.Kind == observe.Watermark && o.Code == observe.LevelLow }) {
		t.Fatal("frames above a 2 KiB low watermark never notified it")
	}
}

// hidden hides CallDelay: the SDK then runs each cloud call in a goroutine,
// as against a real HTTP cloud.
type hidden struct{ cloudapi.Storage }

func TestNoGoroutineOutlivesExit(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := clock.NewFake(clock.Epoch())
	rec := &recorder{}
	cloud := fakecloud.New(clk, fakecloud.Config{Sink: rec, Parser: parseFrames, Seed: 3})
	cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	s := New(Deps{Clock: clk, Storage: hidden{cloud.Blocking()}, Sink: rec})
	cfg := DefaultConfig(dev, 7)
	if err := s.Init(cfg, rec.callbacks()); err != nil {
		t.Fatal(err)
	}
	defer s.Close() // before goleak's check, also when the test fails
	waitPlan := func() {
		for i := 0; i < 100000; i++ {
			if b, _ := s.BalanceInfo(0, 0); b.Switch {
				return
			}
			clk.Advance(10 * time.Millisecond)
			runtime.Gosched() // let the poll goroutine reach its clock wait
		}
		t.Fatal("plan never learned")
	}
	waitPlan()
	cloud.SetFaults(fakecloud.Faults{SlowReply: 3 * time.Second, UploadErrorRate: 0.3})
	src := newSource(clk.Now(), 30)
	for i := 0; i < 15*40; i++ {
		f := src.next(time.Hour)
		for f.Codec.IsVideo() == false {
			clk.AdvanceTo(src.start.Add(f.PTS))
			s.PushStream(0, f)
			f = src.next(time.Hour)
		}
		clk.AdvanceTo(src.start.Add(f.PTS))
		s.PushStream(0, f)
	}
	// the upload goroutines wait on the fake clock: move it until one is done
	for i := 0; i < 100000 && rec.count(observe.SliceUploaded) == 0; i++ {
		clk.Advance(10 * time.Millisecond)
		runtime.Gosched()
	}
	if err := s.Exit(); err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, rec.obs, s.InFlight())
	if rec.count(observe.SliceCut) == 0 || rec.count(observe.SliceUploaded) == 0 {
		t.Fatalf("cut %d uploaded %d", rec.count(observe.SliceCut), rec.count(observe.SliceUploaded))
	}
}
