package cstorage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

var jpeg = append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 2000)...), 0xFF, 0xD9)

func TestCS6CallbackOrder(t *testing.T) {
	cases := []struct {
		name  string
		plan  cloudapi.PlanKind
		pic   []byte
		steps func(r *rig)
		want  []string
	}{
		{
			name: "event plan with picture", plan: cloudapi.PlanEvent, pic: jpeg,
			steps: func(r *rig) {
				r.sdk.EventStart(0, 1, "")
				r.run(5 * time.Second)
				r.sdk.EventStop(0, 1, "")
			},
			want: []string{"capture 0 1", "push_start 0", "push_stop 0", "picture_result 0 ok=true", "event_result 0 1 ok=true"},
		},
		{
			name: "no picture: no picture result", plan: cloudapi.PlanEvent,
			steps: func(r *rig) {
				r.sdk.EventStart(0, 1, "")
				r.run(5 * time.Second)
				r.sdk.EventStop(0, 1, "")
			},
			want: []string{"capture 0 1", "push_start 0", "push_stop 0", "event_result 0 1 ok=true"},
		},
		{
			name: "parallel events: push stops when the last one stops", plan: cloudapi.PlanEvent, pic: jpeg,
			steps: func(r *rig) {
				r.sdk.EventStart(0, 1, "")
				r.run(3 * time.Second)
				r.sdk.EventStart(0, 2, "")
				r.run(3 * time.Second)
				r.sdk.EventStop(0, 1, "")
				r.run(14 * time.Second)
				r.sdk.EventStop(0, 2, "")
			},
			want: []string{"capture 0 1", "push_start 0", "capture 0 2",
				"picture_result 0 ok=true", "event_result 0 1 ok=true",
				"push_stop 0", "picture_result 0 ok=true", "event_result 0 2 ok=true"},
		},
		{
			name: "full-time plan: already pushing, no push-stop", plan: cloudapi.PlanFullTime, pic: jpeg,
			steps: func(r *rig) {
				r.run(2 * time.Second)
				r.sdk.EventStart(0, 9, "x")
				r.run(5 * time.Second)
				r.sdk.EventStop(0, 9, "x")
			},
			want: []string{"push_start 0", "capture 0 9", "picture_result 0 ok=true", "event_result 0 9 ok=true"},
		},
		{
			name: "plan change mid-event: event → none", plan: cloudapi.PlanEvent, pic: jpeg,
			steps: func(r *rig) {
				r.sdk.EventStart(0, 1, "")
				r.run(3 * time.Second)
				r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
				r.run(12 * time.Second)
				r.sdk.EventStop(0, 1, "")
			},
			want: []string{"capture 0 1", "push_start 0", "push_stop 0", "picture_result 0 ok=true", "event_result 0 1 ok=false"},
		},
		{
			name: "plan change mid-event: event → full-time", plan: cloudapi.PlanEvent,
			steps: func(r *rig) {
				r.sdk.EventStart(0, 1, "")
				r.run(3 * time.Second)
				r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
				r.run(12 * time.Second)
				r.sdk.EventStop(0, 1, "")
			},
			want: []string{"capture 0 1", "push_start 0", "event_result 0 1 ok=true"},
		},
		{
			name: "plan change mid-event: full-time → event, push stops with the event", plan: cloudapi.PlanFullTime,
			steps: func(r *rig) {
				r.run(2 * time.Second)
				r.sdk.EventStart(0, 1, "")
				r.run(3 * time.Second)
				r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
				r.run(12 * time.Second)
				r.sdk.EventStop(0, 1, "")
			},
			want: []string{"push_start 0", "capture 0 1", "push_stop 0", "event_result 0 1 ok=true"},
		},
		{
			name: "free trial records like full-time", plan: cloudapi.PlanFreeTrial,
			steps: func(r *rig) {
				r.run(2 * time.Second)
				r.sdk.EventStart(0, 2, "")
				r.run(3 * time.Second)
				r.sdk.EventStop(0, 2, "")
			},
			want: []string{"push_start 0", "capture 0 2", "event_result 0 2 ok=true"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.plan, nil)
			r.rec.pic = c.pic
			c.steps(r)
			r.run(25 * time.Second)
			got := r.rec.logged("capture", "push_", "picture_result", "event_result")
			if !cmp.Equal(got, c.want) {
				t.Fatalf("callbacks:\n got  %q\n want %q", got, c.want)
			}
			r.accounting()
		})
	}
}

func TestCS7ReportOption(t *testing.T) {
	cases := []struct {
		opt             ReportOption
		videoOK, picOK  bool
		withPic, wantOK bool
	}{
		{ReportVideo, true, false, true, true},
		{ReportVideo, false, true, true, false},
		{ReportPicture, true, false, true, false},
		{ReportPicture, false, true, true, true},
		{ReportPicture, true, false, false, false},
		{ReportVideoOrImage, false, true, true, true},
		{ReportVideoOrImage, true, false, true, true},
		{ReportVideoOrImage, false, false, true, false},
	}
	for _, c := range cases {
		r := newRig(t, cloudapi.PlanEvent, func(cfg *Config) { cfg.Channels[0].ReportOpt = c.opt })
		switch {
		case !c.withPic:
		case c.picOK:
			r.rec.pic = jpeg
		default:
			r.rec.pic = []byte("not a jpeg")
		}
		if !c.videoOK {
			r.cloud.SetFaults(fakecloud.Faults{Refuse: cloudapi.CodeBadSlice})
		}
		r.sdk.EventStart(0, 1, "")
		r.run(4 * time.Second)
		r.sdk.EventStop(0, 1, "")
		r.run(10 * time.Second)
		res := r.rec.logged("event_result")
		want := []string{"event_result 0 1 ok=" + map[bool]string{true: "true", false: "false"}[c.wantOK]}
		if !cmp.Equal(res, want) {
			t.Errorf("%+v: %v, want %v", c, res, want)
		}
		if !c.videoOK && r.rec.reasons(observe.FrameRejected)[cloudapi.CodeBadSlice] == 0 {
			t.Errorf("%+v: refused slice's frames not rejected", c)
		}
		r.accounting()
	}
}

func TestCS8PreRecord(t *testing.T) {
	pre := func(c *Config) { c.Channels[0].PreRecord = 90 * time.Second }
	t.Run("relative stream start pre-records from the ring", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, pre)
		r.run(100 * time.Second)
		if r.rec.reasons(observe.FrameDropped)[ReasonPreRecordOut] == 0 {
			t.Fatal("ring did not age out frames beyond 90 s")
		}
		start := r.sdk.DeviceNow()
		if err := r.sdk.EventStartExt(0, 1, "", 0, 15); err != nil {
			t.Fatal(err)
		}
		r.run(5 * time.Second)
		r.sdk.EventStop(0, 1, "")
		r.run(20 * time.Second)
		st := r.cloud.Stored(dev, 0)
		if len(st) == 0 {
			t.Fatal("nothing stored")
		}
		lead := start.Sub(st[0].UTCStart)
		if lead < 15*time.Second || lead > 17*time.Second {
			t.Fatalf("video starts %v before the event, want 15 s back to the IDR at or before it", lead)
		}
		if got := r.rec.logged("event_result"); !cmp.Equal(got, []string{"event_result 0 1 ok=true"}) {
			t.Fatal(got)
		}
		r.accounting()
	})
	t.Run("catch-up is faster than real time and paced by the link", func(t *testing.T) {
		took := map[units.Bitrate]time.Duration{}
		for _, bw := range []units.Bitrate{3 * units.Mbps, 12 * units.Mbps} {
			r := newRig(t, cloudapi.PlanEvent, pre, func(_ *rig, fc *fakecloud.Config) { fc.Bandwidth = bw })
			r.run(70 * time.Second)
			t0 := r.clk.Now()
			if err := r.sdk.EventStartExt(0, 1, "", 0, 60); err != nil {
				t.Fatal(err)
			}
			cut := r.rec.count(observe.SliceCut)
			if cut < 5 {
				t.Fatalf("60 s of pre-record cut %d slices at once, want ≥ 5", cut)
			}
			r.run(60 * time.Second)
			ups := r.rec.of(observe.SliceUploaded)
			if len(ups) < cut {
				t.Fatalf("%v: %d of %d pre-record slices uploaded", bw, len(ups), cut)
			}
			took[bw] = ups[cut-1].At.Sub(t0)
			if took[bw] > 30*time.Second {
				t.Fatalf("%v: 60 s of pre-record took %v to upload", bw, took[bw])
			}
			r.accounting()
		}
		t.Logf("60 s of pre-record uploaded in %v", took)
		if took[12*units.Mbps] >= took[3*units.Mbps] {
			t.Fatalf("a faster link did not catch up faster: %v", took)
		}
	})
	t.Run("time rules", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, pre)
		r.run(20 * time.Second)
		now := r.sdk.DeviceNow().Unix()
		cases := []struct {
			name     string
			ev, st   int64
			want     Code
			stopOnOK bool
		}{
			{"mixed relative/absolute", 15, now - 10, CodeTimeMixed, false},
			{"mixed absolute/relative", now - 10, 15, CodeTimeMixed, false},
			{"future absolute", now + 60, now, CodeTimeFuture, false},
			{"negative relative is in the future", -1, 0, CodeTimeFuture, false},
			{"boundary 299 is relative", 299, 299, CodeNone, true},
			{"both absolute in the past", now - 5, now - 10, CodeNone, true},
		}
		for _, c := range cases {
			wantCode(t, c.name, r.sdk.EventStartExt(0, 2, "", c.ev, c.st), c.want)
			if c.stopOnOK {
				wantCode(t, c.name+" stop mixed", r.sdk.EventStopExt(0, 2, "", 0, now), CodeTimeMixed)
				wantCode(t, c.name+" stop future", r.sdk.EventStopExt(0, 2, "", now+100, now+100), CodeTimeFuture)
				wantCode(t, c.name+" stop", r.sdk.EventStopExt(0, 2, "", 0, 0), CodeNone)
			}
			r.run(time.Second)
		}
	})
	t.Run("only the first of parallel events pre-records", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, pre)
		r.run(60 * time.Second)
		if err := r.sdk.EventStartExt(0, 1, "", 0, 20); err != nil {
			t.Fatal(err)
		}
		r.run(3 * time.Second)
		cut := r.rec.count(observe.SliceCut)
		if err := r.sdk.EventStartExt(0, 2, "", 0, 40); err != nil {
			t.Fatal(err)
		}
		if r.rec.count(observe.SliceCut) != cut {
			t.Fatal("the second parallel event pre-recorded")
		}
		r.run(3 * time.Second)
		r.sdk.EventStop(0, 1, "")
		r.sdk.EventStop(0, 2, "")
		r.run(20 * time.Second)
		first := r.cloud.Stored(dev, 0)[0].UTCStart
		if lead := r.clk.Now().Add(-26 * time.Second).Sub(first); lead > 23*time.Second {
			t.Fatalf("video reaches %v before the first event: the second event's 40 s were used", lead)
		}
		r.accounting()
	})
}

func TestCS9DirectReport(t *testing.T) {
	r := newRig(t, cloudapi.PlanNone, nil)
	if err := r.sdk.EventDirectReport(0, 5, "doorbell", time.Time{}, jpeg); err != nil {
		t.Fatalf("direct report without a plan: %v", err)
	}
	evs := r.cloud.Events()
	if len(evs) != 1 || !evs[0].Direct || evs[0].PictureID == "" || evs[0].Info != "doorbell" || evs[0].EventID != 5 {
		t.Fatalf("cloud got %+v", evs)
	}
	if err := r.sdk.EventDirectReport(0, 6, "", r.sdk.DeviceNow().Add(-time.Minute), nil); err != nil {
		t.Fatalf("direct report without picture: %v", err)
	}
	wantCode(t, "future", r.sdk.EventDirectReport(0, 5, "", r.sdk.DeviceNow().Add(time.Hour), nil), CodeTimeFuture)
	wantCode(t, "bad id", r.sdk.EventDirectReport(0, 0, "", time.Time{}, nil), CodeInvalidParam)
	wantCode(t, "bad info", r.sdk.EventDirectReport(0, 1, "\n", time.Time{}, nil), CodeInfoInvalid)
	r.cloud.SetFaults(fakecloud.Faults{Offline: true})
	wantCode(t, "offline", r.sdk.EventDirectReport(0, 5, "", time.Time{}, jpeg), CodeHTTPSend)
	r.cloud.SetFaults(fakecloud.Faults{SlowReply: time.Minute})
	wantCode(t, "slow", r.sdk.EventDirectReport(0, 5, "", time.Time{}, nil), CodeHTTPSend)
	oks := map[bool]int{}
	for _, o := range r.rec.of(observe.EventReported) {
		oks[o.OK]++
	}
	if oks[true] != 2 || oks[false] != 2 {
		t.Fatalf("EventReported ok/fail %v, want 2/2", oks)
	}
}

func TestCS10FirstFrameIDR(t *testing.T) {
	p := &av.Frame{Codec: av.H264, NALUs: [][]byte{nalP}}
	noSPS := &av.Frame{Codec: av.H264, Key: true, NALUs: [][]byte{nalPPS, nalIDR}}
	keyFlagOnly := &av.Frame{Codec: av.H264, Key: true, NALUs: [][]byte{nalP}}
	aac := &av.Frame{Codec: av.AAC, Key: true, Payload: aacFrame}
	good := &av.Frame{Codec: av.H264, Key: true, NALUs: [][]byte{nalSPS, nalPPS, nalIDR}}
	h265NoVPS := &av.Frame{Codec: av.H265, Key: true, NALUs: [][]byte{hSPS, hPPS, hIDR}}
	h265 := &av.Frame{Codec: av.H265, Key: true, NALUs: [][]byte{hVPS, hSPS, hPPS, hIDR}}
	cases := []struct {
		name   string
		frames []*av.Frame
		want   []Code
	}{
		{"H.264", []*av.Frame{p, noSPS, keyFlagOnly, aac, good, p, aac}, []Code{CodeFirstNotIDR, CodeFirstNotIDR, CodeFirstNotIDR, CodeFirstNotIDR, CodeNone, CodeNone, CodeNone}},
		{"H.265", []*av.Frame{h265NoVPS, h265}, []Code{CodeFirstNotIDR, CodeNone}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, cloudapi.PlanFullTime, nil)
			for i, f := range c.frames {
				g := *f
				g.Seq = uint64(i)
				g.Capture = r.clk.Now()
				wantCode(t, "frame", r.sdk.PushStream(0, &g), c.want[i])
				r.clk.Advance(10 * time.Millisecond)
			}
			bad := 0
			for _, w := range c.want {
				if w != CodeNone {
					bad++
				}
			}
			if got := r.rec.reasons(observe.FrameDropped)[observe.ReasonNotIDR]; got != bad {
				t.Fatalf("dropped first_not_idr %d, want %d", got, bad)
			}
			r.accounting()
		})
	}
}

// TestCS10FramesRacingPushStart: a frame captured before the push-start
// callback has returned (the firmware cannot have asked for the IDR yet: on
// a camera its encoder thread races the SDK's callback) is refused as any
// stream start without an IDR, but dropped by design (awaiting_idr, not
// loss) — also when it reaches the SDK after the callback; a frame captured
// after it that does not open the stream with an IDR is the firmware's
// error (first_not_idr).
func TestCS10FramesRacingPushStart(t *testing.T) {
	r := newRig(t, cloudapi.PlanNone, nil)
	seq := uint64(0)
	pushCaptured := func(f av.Frame, at time.Time) error {
		f.Seq = seq
		seq++
		f.Capture = at
		return r.sdk.PushStream(0, &f)
	}
	push := func(f av.Frame) error { return pushCaptured(f, r.clk.Now()) }
	p := av.Frame{Codec: av.H264, NALUs: [][]byte{nalP}}
	aac := av.Frame{Codec: av.AAC, Payload: aacFrame}
	idr := av.Frame{Codec: av.H264, Key: true, NALUs: [][]byte{nalSPS, nalPPS, nalIDR}}
	wantCode(t, "frame without a plan", push(p), CodeNoService)
	var inside []error
	r.rec.onPushStart = func(int) { inside = append(inside, push(p), push(aac)) }
	r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	before := r.clk.Now()
	r.clk.Advance(r.cfg.PlanPoll + time.Second) // the poll brings the plan: push start
	if len(inside) != 2 {
		t.Fatalf("%d frames pushed inside the PushStart callback, want 2", len(inside))
	}
	for _, err := range inside {
		wantCode(t, "frame racing push start", err, CodeFirstNotIDR)
	}
	wantCode(t, "P frame captured before push start, pushed after", pushCaptured(p, before), CodeFirstNotIDR)
	wantCode(t, "P frame after push start", push(p), CodeFirstNotIDR)
	wantCode(t, "IDR", push(idr), CodeNone)
	wantCode(t, "P frame", push(p), CodeNone)
	reasons := r.rec.reasons(observe.FrameDropped)
	if reasons[observe.ReasonAwaitIDR] != 3 || reasons[observe.ReasonNotIDR] != 1 || reasons[observe.ReasonNoService] != 1 {
		t.Fatalf("drops by reason %v; want 3 awaiting_idr (racing the callback), 1 first_not_idr, 1 no_service", reasons)
	}
	r.accounting()
}
