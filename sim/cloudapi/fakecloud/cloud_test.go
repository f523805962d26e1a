package fakecloud_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/device/cstorage"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

type sink struct{ obs []observe.Observation }

func (s *sink) Observe(o observe.Observation) { s.obs = append(s.obs, o) }

func (s *sink) count(k observe.Kind, reason string) int {
	n := 0
	for _, o := range s.obs {
		if o.Kind == k && (reason == "" || o.Reason == reason) {
			n++
		}
	}
	return n
}

func parser(dst []fakecloud.Frame, _ cloudapi.Format, body []byte) ([]fakecloud.Frame, error) {
	fis, err := cstorage.ParseFrameList(nil, body)
	for _, fi := range fis {
		st := observe.Video
		if fi.Audio {
			st = observe.Audio
		}
		dst = append(dst, fakecloud.Frame{Stream: st, Seq: fi.Seq, Key: fi.Key, Capture: fi.Capture})
	}
	return dst, err
}

// slice makes an upload of video frames v0..v0+n-1 (key first) and as many
// audio frames, starting at utc.
func slice(t *testing.T, seq, v0 uint64, n int, utc time.Time, keyFirst bool) cloudapi.SliceUpload {
	t.Helper()
	var frames []*av.Frame
	for i := 0; i < n; i++ {
		pts := time.Duration(i) * time.Second / 15
		frames = append(frames,
			&av.Frame{Codec: av.H264, Seq: v0 + uint64(i), PTS: pts, Key: i == 0 && keyFirst, NALUs: [][]byte{{0x65, 1, 2}}, Capture: utc.Add(pts)},
			&av.Frame{Codec: av.AAC, Seq: v0 + uint64(i), PTS: pts, Key: true, Payload: []byte{1}, Capture: utc.Add(pts)})
	}
	body, err := cstorage.AppendFrameList(nil, frames)
	if err != nil {
		t.Fatal(err)
	}
	return cloudapi.SliceUpload{Device: "cam-0003", Seq: seq, Format: cloudapi.FormatTS,
		UTCStart: utc, UTCEnd: utc.Add(time.Duration(n-1) * time.Second / 15),
		FrameSeqFirst: v0, FrameSeqLast: v0 + uint64(n) - 1, AudioFrames: n, AudioSeqFirst: v0, AudioSeqLast: v0 + uint64(n) - 1, Body: body}
}

func newCloud(t *testing.T) (*clock.Fake, *fakecloud.Cloud, *sink) {
	clk := clock.NewFake(clock.Epoch())
	s := &sink{}
	c := fakecloud.New(clk, fakecloud.Config{Sink: s, Parser: parser, Seed: 9, Bandwidth: 8 * units.Mbps})
	c.SetPlan("cam-0003", 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	return clk, c, s
}

func TestStoreDeliversEveryFrame(t *testing.T) {
	clk, c, s := newCloud(t)
	clk.Advance(time.Minute)
	rc, err := c.UploadSlice(t.Context(), slice(t, 1, 0, 150, clock.Epoch(), true))
	if err != nil || !rc.Stored || rc.Frames != 150 || rc.Overwritten != 0 {
		t.Fatalf("%+v %v", rc, err)
	}
	if n := s.count(observe.FrameDelivered, ""); n != 300 {
		t.Fatalf("delivered %d frames, want 300", n)
	}
	for _, o := range s.obs {
		if o.Device != 3 || o.Value <= 50*time.Second || o.Value > time.Minute {
			t.Fatalf("observation %+v: device index or latency wrong", o)
		}
	}
}

func TestOverlapIsCountedAndRetriesAreIdempotent(t *testing.T) {
	clk, c, s := newCloud(t)
	clk.Advance(time.Minute)
	first := slice(t, 1, 0, 150, clock.Epoch(), true)
	c.UploadSlice(t.Context(), first)
	// the same slice again (a retry after a lost reply): no overwrite, no double delivery
	if rc, err := c.UploadSlice(t.Context(), first); err != nil || !rc.Stored || rc.Overwritten != 0 {
		t.Fatalf("retry: %+v %v", rc, err)
	}
	if n := s.count(observe.FrameDelivered, ""); n != 300 {
		t.Fatalf("delivered %d after a retry", n)
	}
	// a retry answered after the plan was withdrawn: still stored, not refused
	c.SetPlan("cam-0003", 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
	if rc, err := c.UploadSlice(t.Context(), first); err != nil || !rc.Stored {
		t.Fatalf("retry after the plan ended: %+v %v", rc, err)
	}
	c.SetPlan("cam-0003", 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	// a later slice whose device clock was set back 5 s overlaps the first
	rc, err := c.UploadSlice(t.Context(), slice(t, 2, 150, 150, clock.Epoch().Add(5*time.Second), true))
	if err != nil || rc.Overwritten != 1 || s.count(observe.SliceOverwritten, "") != 1 || c.Counts().Overwritten != 1 {
		t.Fatalf("overlap: %+v %v, observed %d", rc, err, s.count(observe.SliceOverwritten, ""))
	}
	if st := c.Stored("cam-0003", 0); len(st) != 1 || st[0].Seq != 2 {
		t.Fatalf("index %+v", st)
	}
	// adjacent, not overlapping
	rc, _ = c.UploadSlice(t.Context(), slice(t, 3, 300, 15, clock.Epoch().Add(20*time.Second), true))
	if rc.Overwritten != 0 {
		t.Fatal("adjacent slice counted as overwrite")
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name     string
		prep     func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload)
		code     string
		rejected int // frames rejected by the cloud from the header's ranges
	}{
		{"no plan", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) {
			c.SetPlan("cam-0003", 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
		}, cloudapi.CodeNoService, 0},
		{"first frame not IDR", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) {
			*s = slice(t, 1, 0, 10, clock.Epoch(), false)
		}, cloudapi.CodeNotIDR, 20},
		{"count differs from header", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) { s.FrameSeqLast++ }, cloudapi.CodeBadSlice, 21},
		{"audio count differs", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) { s.AudioFrames--; s.AudioSeqLast-- }, cloudapi.CodeBadSlice, 19},
		{"truncated body", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) { s.Body = s.Body[:len(s.Body)-1] }, cloudapi.CodeBadSlice, 20},
		{"injected refusal", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) {
			c.SetFaults(fakecloud.Faults{Refuse: cloudapi.CodeBadSlice})
		}, cloudapi.CodeBadSlice, 20},
		{"backfill past window", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) { s.Backfill = true }, cloudapi.CodeExpired, 0},
		{"injected 503", func(t *testing.T, c *fakecloud.Cloud, s *cloudapi.SliceUpload) {
			c.SetFaults(fakecloud.Faults{UploadErrorRate: 1})
		}, cloudapi.CodeUnavailable, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk, c, s := newCloud(t)
			clk.Advance(time.Hour)
			up := slice(t, 1, 0, 10, clock.Epoch(), true)
			tc.prep(t, c, &up)
			_, err := c.UploadSlice(t.Context(), up)
			if !cloudapi.IsCode(err, tc.code) {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
			if n := s.count(observe.FrameRejected, ""); n != tc.rejected {
				t.Fatalf("rejected %d frames, want %d", n, tc.rejected)
			}
			if s.count(observe.FrameDelivered, "") != 0 || len(c.Stored("cam-0003", 0)) != 0 {
				t.Fatal("a refused slice was stored")
			}
		})
	}
	t.Run("offline is a transport error", func(t *testing.T) {
		_, c, _ := newCloud(t)
		c.SetFaults(fakecloud.Faults{Offline: true})
		var ce *cloudapi.Error
		for _, err := range []error{
			func() error { _, err := c.UploadSlice(t.Context(), slice(t, 1, 0, 3, clock.Epoch(), true)); return err }(),
			func() error { _, err := c.QueryPlan(t.Context(), "cam-0003", 0, 0); return err }(),
			func() error { _, err := c.ReportEvent(t.Context(), cloudapi.EventReport{EventID: 1}); return err }(),
			c.DestroyResources(t.Context(), "cam-0003"),
		} {
			if !errors.Is(err, fakecloud.ErrOffline) || errors.As(err, &ce) {
				t.Fatalf("%v", err)
			}
		}
	})
}

func TestFaultDrawsAreSeeded(t *testing.T) {
	draws := func(seed uint64) (out []bool) {
		clk := clock.NewFake(clock.Epoch())
		c := fakecloud.New(clk, fakecloud.Config{Seed: seed})
		c.SetPlan("d1", 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
		c.SetFaults(fakecloud.Faults{UploadErrorRate: 0.5})
		for i := 0; i < 64; i++ {
			_, err := c.UploadSlice(context.Background(), cloudapi.SliceUpload{Device: "d1", Seq: uint64(i), UTCStart: clock.Epoch().Add(time.Duration(i) * time.Minute), UTCEnd: clock.Epoch().Add(time.Duration(i) * time.Minute)})
			out = append(out, err == nil)
		}
		return out
	}
	a, b, other := draws(1), draws(1), draws(2)
	ok := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different fault draws")
		}
		if a[i] {
			ok++
		}
	}
	if ok < 16 || ok > 48 {
		t.Fatalf("%d of 64 succeeded at a 50%% error rate", ok)
	}
	same := true
	for i := range a {
		same = same && a[i] == other[i]
	}
	if same {
		t.Fatal("seeds 1 and 2 drew the same faults")
	}
}

func TestCallDelay(t *testing.T) {
	_, c, _ := newCloud(t)
	send, reply := c.CallDelay("slice", "cam-0003", 0, 1_000_000)
	if send != time.Second || reply != 20*time.Millisecond {
		t.Fatalf("1 MB at 8 Mbit/s: send %v reply %v", send, reply)
	}
	c.SetFaults(fakecloud.Faults{SlowReply: 3 * time.Second})
	if _, reply := c.CallDelay("plan", "cam-0003", 0, 0); reply != 3020*time.Millisecond {
		t.Fatalf("slow reply %v", reply)
	}
}

func TestPlansVersionsAndDestroy(t *testing.T) {
	_, c, _ := newCloud(t)
	p1, _ := c.QueryPlan(t.Context(), "cam-0003", 0, 0)
	c.SetPlan("cam-0003", 0, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
	p2, _ := c.QueryPlan(t.Context(), "cam-0003", 0, 0)
	if p2.Kind != cloudapi.PlanEvent || p2.Version <= p1.Version {
		t.Fatalf("%+v then %+v", p1, p2)
	}
	if p, _ := c.QueryPlan(t.Context(), "other", 1, 0); p.Kind != cloudapi.PlanNone || p.Valid {
		t.Fatalf("unknown device plan %+v", p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.QueryPlan(ctx, "cam-0003", 0, p2.Version); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("long poll without change: %v", err)
	}
	if err := c.DestroyResources(t.Context(), "cam-0003"); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.QueryPlan(t.Context(), "cam-0003", 0, 0); p.Kind != cloudapi.PlanNone {
		t.Fatalf("plan after destroy %+v", p)
	}
}

func TestPicturesEventsTokens(t *testing.T) {
	_, c, _ := newCloud(t)
	jpeg := []byte{0xFF, 0xD8, 0, 0, 0xFF, 0xD9}
	if rc, err := c.UploadPicture(t.Context(), cloudapi.PictureUpload{Device: "cam-0003", EventID: 1, Body: jpeg}); err != nil || rc.ID == "" {
		t.Fatalf("%+v %v", rc, err)
	}
	if _, err := c.UploadPicture(t.Context(), cloudapi.PictureUpload{Body: []byte("png")}); !cloudapi.IsCode(err, cloudapi.CodeBadRequest) {
		t.Fatalf("non-JPEG: %v", err)
	}
	if _, err := c.ReportEvent(t.Context(), cloudapi.EventReport{Device: "cam-0003", EventID: 0}); !cloudapi.IsCode(err, cloudapi.CodeBadRequest) {
		t.Fatalf("event id 0: %v", err)
	}
	if rc, err := c.ReportEvent(t.Context(), cloudapi.EventReport{Device: "cam-0003", EventID: 4}); err != nil || !rc.OK || len(c.Events()) != 1 {
		t.Fatalf("%+v %v", rc, err)
	}
	if r, err := c.Token(t.Context(), cloudapi.TokenRequest{DeviceSN: "sn1"}); err != nil || r.URL == "" || r.Token == "" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := c.Token(t.Context(), cloudapi.TokenRequest{}); !cloudapi.IsCode(err, cloudapi.CodeBadRequest) {
		t.Fatalf("empty SN: %v", err)
	}
}

func TestBlockingWaitsOnTheClock(t *testing.T) {
	clk, c, _ := newCloud(t)
	b := c.Blocking()
	if _, ok := b.(interface {
		CallDelay(string, string, int, int) (time.Duration, time.Duration)
	}); ok {
		t.Fatal("Blocking still exposes CallDelay")
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.QueryPlan(context.Background(), "cam-0003", 0, 0)
		done <- err
	}()
	for clk.Pending() == 0 {
		// wait for the call to arm its clock timer
		select {
		case err := <-done:
			t.Fatalf("returned before the clock moved: %v", err)
		default:
		}
	}
	clk.Advance(20 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := b.UploadSlice(ctx, slice(t, 1, 0, 3, clock.Epoch(), true))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
}
