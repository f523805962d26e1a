package cstorage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

func wantCode(t *testing.T, what string, err error, c Code) {
	t.Helper()
	if CodeOf(err) != c {
		t.Fatalf("%s: got %v (code %d), want code %d (%s)", what, err, CodeOf(err), c, c)
	}
	if c != CodeNone && !errors.Is(err, &Error{Code: c}) {
		t.Fatalf("%s: errors.Is does not match code %d", what, c)
	}
}

func TestCS1InitExit(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	cloud := fakecloud.New(clk, fakecloud.Config{})
	rec := &recorder{}
	s := New(Deps{Clock: clk, Storage: cloud, Sink: rec})
	key := &av.Frame{Codec: av.H264, Key: true, NALUs: [][]byte{nalSPS, nalPPS, nalIDR}}

	t.Run("calls before init fail", func(t *testing.T) {
		calls := map[string]error{
			"PushStream":        s.PushStream(0, key),
			"EventStart":        s.EventStart(0, 1, ""),
			"EventStop":         s.EventStop(0, 1, ""),
			"EventStartExt":     s.EventStartExt(0, 1, "", 0, 0),
			"EventStopExt":      s.EventStopExt(0, 1, "", 0, 0),
			"EventDirectReport": s.EventDirectReport(0, 1, "", time.Time{}, nil),
			"SetTransTime":      s.SetTransTime(time.Second, time.Second),
			"SetAIProcess":      s.SetAIProcess(0, 1, AIFallDetect),
			"UploadBackupVideo": s.UploadBackupVideo(0, DumpStart, "x", nil),
			"ResourceDestroy":   s.ResourceDestroy(time.Second),
			"Exit":              s.Exit(),
		}
		_, calls["BalanceInfo(cached)"] = s.BalanceInfo(0, 0)
		_, calls["GetAIProcess"] = s.GetAIProcess(0, 1)
		for name, err := range calls {
			wantCode(t, name, err, CodeNotInit)
		}
		// the refused frame is still accounted
		if rec.count(observe.FrameSent) != 1 || rec.reasons(observe.FrameDropped)[ReasonNotInit] != 1 {
			t.Fatalf("frame before init: sent %d, dropped %v", rec.count(observe.FrameSent), rec.reasons(observe.FrameDropped))
		}
	})
	t.Run("init twice", func(t *testing.T) {
		cfg := DefaultConfig(dev, 7)
		if err := s.Init(cfg, Callbacks{}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "second Init", s.Init(cfg, Callbacks{}), CodeInitTwice)
	})
	t.Run("exit releases all", func(t *testing.T) {
		cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
		clk.Advance(time.Second)
		if err := s.PushStream(0, key); err != nil {
			t.Fatal(err)
		}
		if len(s.InFlight()) != 1 {
			t.Fatalf("in flight %d, want 1", len(s.InFlight()))
		}
		if err := s.Exit(); err != nil {
			t.Fatal(err)
		}
		if n := len(s.InFlight()); n != 0 {
			t.Fatalf("in flight after Exit: %d", n)
		}
		if rec.reasons(observe.FrameDropped)[observe.ReasonRunEnded] != 1 {
			t.Fatalf("held frame not dropped at exit: %v", rec.reasons(observe.FrameDropped))
		}
		if clk.Pending() != 0 {
			t.Fatalf("%d timers left after Exit", clk.Pending())
		}
		wantCode(t, "Exit twice", s.Exit(), CodeNotInit)
		late := *key
		late.Seq = 1
		wantCode(t, "push after exit", s.PushStream(0, &late), CodeNotInit)
		checkAccounting(t, rec.obs, s.InFlight())
	})
	t.Run("init again after exit", func(t *testing.T) {
		if err := s.Init(DefaultConfig(dev, 7), Callbacks{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close of a closed SDK: %v", err)
		}
	})
	t.Run("bad configs", func(t *testing.T) {
		for name, mod := range map[string]func(*Config){
			"no channels":        func(c *Config) { c.Channels = nil },
			"four channels":      func(c *Config) { c.Channels = make([]ChannelConfig, 4) },
			"gop not 4 KiB":      func(c *Config) { c.Channels[0].MaxGopSize = 800*units.KiB + 1 },
			"zero reply timeout": func(c *Config) { c.ReplyTimeout = 0 },
			"watermark > gop":    func(c *Config) { c.Channels[0].Watermarks.High = c.Channels[0].MaxGopSize + 1 },
			"watermarks falling": func(c *Config) { c.Channels[0].Watermarks.Warn = c.Channels[0].Watermarks.High + 1 },
			"format":             func(c *Config) { c.Channels[0].Format = "flv" },
			"event ids":          func(c *Config) { c.MaxEventID = 0 },
		} {
			cfg := DefaultConfig(dev, 7)
			mod(&cfg)
			wantCode(t, name, New(Deps{Clock: clk, Storage: cloud}).Init(cfg, Callbacks{}), CodeInvalidParam)
		}
	})
}

func TestCS2Plans(t *testing.T) {
	t.Run("kinds", func(t *testing.T) {
		for _, k := range []cloudapi.PlanKind{cloudapi.PlanNone, cloudapi.PlanFullTime, cloudapi.PlanEvent, cloudapi.PlanFreeTrial} {
			r := newRig(t, k, nil)
			if k == cloudapi.PlanFreeTrial {
				r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: k, Valid: true, Remaining: time.Hour})
				r.clk.Advance(r.cfg.PlanPoll * 2)
			}
			b, err := r.sdk.BalanceInfo(0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if b.Plan.Kind != k || b.Switch != (k != cloudapi.PlanNone) {
				t.Fatalf("%s: cached %+v", k, b)
			}
			if k == cloudapi.PlanFreeTrial && b.Plan.Remaining != time.Hour {
				t.Fatalf("free trial remaining %v", b.Plan.Remaining)
			}
		}
	})
	t.Run("blocking query, timeout, offline", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, nil)
		r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
		b, err := r.sdk.BalanceInfo(0, 3*time.Second)
		if err != nil || b.Plan.Kind != cloudapi.PlanFullTime {
			t.Fatalf("blocking query: %+v %v", b, err)
		}
		if got := r.rec.logged("push_start"); len(got) != 1 {
			t.Fatalf("a full-time plan learned by query did not start the push: %v", got)
		}
		r.cloud.SetFaults(fakecloud.Faults{SlowReply: 5 * time.Second})
		_, err = r.sdk.BalanceInfo(0, 3*time.Second)
		wantCode(t, "slow cloud", err, CodeQueryTimeout)
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		_, err = r.sdk.BalanceInfo(0, 3*time.Second)
		wantCode(t, "offline cloud", err, CodeOffline)
		// the cached answer still works offline
		if b, err := r.sdk.BalanceInfo(0, 0); err != nil || b.Plan.Kind != cloudapi.PlanFullTime {
			t.Fatalf("cached: %+v %v", b, err)
		}
		_, err = r.sdk.BalanceInfo(5, 0)
		wantCode(t, "bad channel", err, CodeInvalidParam)
	})
	t.Run("before init a blocking query works", func(t *testing.T) {
		clk := clock.NewFake(clock.Epoch())
		cloud := fakecloud.New(clk, fakecloud.Config{})
		cloud.SetPlan("", 0, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
		s := New(Deps{Clock: clk, Storage: cloud})
		b, err := s.BalanceInfo(0, time.Second)
		if err != nil || b.Plan.Kind != cloudapi.PlanEvent {
			t.Fatalf("%+v %v", b, err)
		}
	})
	t.Run("cloud changes the plan, device learns it by poll", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, nil)
		r.run(2 * time.Second)
		r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
		r.run(r.cfg.PlanPoll * 2)
		b, _ := r.sdk.BalanceInfo(0, 0)
		if b.Plan.Kind != cloudapi.PlanFullTime {
			t.Fatalf("plan not learned: %+v", b)
		}
		if got := r.rec.logged("push_"); !cmp.Equal(got, []string{"push_start 0"}) {
			t.Fatalf("callbacks %v", got)
		}
	})
	t.Run("long poll returns on change", func(t *testing.T) {
		clk := clock.NewFake(clock.Epoch())
		cloud := fakecloud.New(clk, fakecloud.Config{})
		cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
		p, _ := cloud.QueryPlan(t.Context(), dev, 0, 0)
		done := make(chan cloudapi.Plan)
		go func() {
			q, _ := cloud.QueryPlan(t.Context(), dev, 0, p.Version)
			done <- q
		}()
		cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
		if q := <-done; q.Kind != cloudapi.PlanFullTime || q.Version <= p.Version {
			t.Fatalf("long poll returned %+v", q)
		}
	})
}

func TestCS3FullTimePushCallbacks(t *testing.T) {
	t.Run("valid starts, invalid stops", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		r.run(12 * time.Second)
		r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: false})
		r.run(r.cfg.PlanPoll * 2)
		if got := r.rec.logged("push_"); !cmp.Equal(got, []string{"push_start 0", "push_stop 0"}) {
			t.Fatalf("callbacks %v", got)
		}
		if r.pushErrs[CodeNoService] == 0 {
			t.Fatal("pushing after the plan expired did not return no-service")
		}
		r.accounting()
	})
	t.Run("no plan: no-service error, nothing uploaded", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanNone, nil)
		r.run(25 * time.Second)
		f := &av.Frame{Codec: av.H264, Seq: 1 << 40, Key: true, NALUs: [][]byte{nalSPS, nalPPS, nalIDR}}
		wantCode(t, "push without plan", r.sdk.PushStream(0, f), CodeNoService)
		if n := r.rec.count(observe.SliceCut) + r.cloud.Counts().Calls["slice"]; n != 0 {
			t.Fatalf("slices cut or uploaded without a plan: %d", n)
		}
		if len(r.rec.logged("push_")) != 0 {
			t.Fatal("push callbacks without a plan")
		}
		if got, sent := r.rec.reasons(observe.FrameDropped)[observe.ReasonNoService], r.rec.count(observe.FrameSent); got != sent {
			t.Fatalf("dropped no_service %d of %d sent", got, sent)
		}
		wantCode(t, "event without plan", r.sdk.EventStart(0, 1, ""), CodeNoService)
		r.accounting()
	})
}

func TestCS4EventPlan(t *testing.T) {
	r := newRig(t, cloudapi.PlanEvent, nil)
	r.run(15 * time.Second)
	if len(r.rec.logged("push_")) != 0 {
		t.Fatal("an event plan gave push callbacks without an event")
	}
	if r.rec.count(observe.SliceCut) != 0 {
		t.Fatal("slices recorded without an event")
	}
	if err := r.sdk.EventStart(0, 3, "motion"); err != nil {
		t.Fatal(err)
	}
	r.run(4 * time.Second)
	if err := r.sdk.EventStop(0, 3, "motion"); err != nil {
		t.Fatal(err)
	}
	r.run(5 * time.Second)
	if got := r.rec.logged("push_", "event_result"); !cmp.Equal(got, []string{"push_start 0", "push_stop 0", "event_result 0 3 ok=true"}) {
		t.Fatalf("callbacks %v", got)
	}
	if r.rec.reasons(observe.FrameDropped)[ReasonNotRecording] == 0 {
		t.Fatal("frames outside the event were not accounted as not_recording")
	}
	r.accounting()
}

func TestCS5EventRules(t *testing.T) {
	r := newRig(t, cloudapi.PlanEvent, nil)
	long := strings.Repeat("a", MaxInfoLen)
	cases := []struct {
		name string
		call func() error
		want Code
	}{
		{"id 0", func() error { return r.sdk.EventStart(0, 0, "") }, CodeInvalidParam},
		{"id above max", func() error { return r.sdk.EventStart(0, 33, "") }, CodeInvalidParam},
		{"bad channel", func() error { return r.sdk.EventStart(1, 1, "") }, CodeInvalidParam},
		{"stop without start", func() error { return r.sdk.EventStop(0, 4, "") }, CodeEventNotFound},
		{"info 128 bytes", func() error { return r.sdk.EventStart(0, 5, long+"b") }, CodeInfoInvalid},
		{"info non-printable", func() error { return r.sdk.EventStart(0, 5, "bad\x01") }, CodeInfoInvalid},
		{"info non-ASCII", func() error { return r.sdk.EventStart(0, 5, "caf\u00e9") }, CodeInfoInvalid},
		{"start 1", func() error { return r.sdk.EventStart(0, 1, long) }, CodeNone},
		{"same id twice", func() error { return r.sdk.EventStart(0, 1, long) }, CodeEventBusy},
		{"parallel distinct id", func() error { return r.sdk.EventStart(0, 32, "") }, CodeNone},
		{"stop info mismatch", func() error { return r.sdk.EventStop(0, 1, "other") }, CodeInfoMismatch},
		{"stop 1", func() error { return r.sdk.EventStop(0, 1, long) }, CodeNone},
		{"stop 1 again", func() error { return r.sdk.EventStop(0, 1, long) }, CodeEventNotFound},
		{"restart 1 after stop", func() error { return r.sdk.EventStart(0, 1, "") }, CodeNone},
		{"stop 32", func() error { return r.sdk.EventStop(0, 32, "") }, CodeNone},
		{"stop restarted 1", func() error { return r.sdk.EventStop(0, 1, "") }, CodeNone},
	}
	for _, c := range cases {
		wantCode(t, c.name, c.call(), c.want)
		r.run(500 * time.Millisecond)
	}
	r.run(20 * time.Second)
	// three events started and stopped; each has exactly one result
	if n := len(r.rec.logged("event_result")); n != 3 {
		t.Fatalf("event results %d, want 3: %v", n, r.rec.logged("event_result"))
	}
	t.Run("max event id is a parameter", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, func(c *Config) { c.MaxEventID = 16 })
		wantCode(t, "id 17 of 16", r.sdk.EventStart(0, 17, ""), CodeInvalidParam)
		wantCode(t, "id 16 of 16", r.sdk.EventStart(0, 16, ""), CodeNone)
	})
}
