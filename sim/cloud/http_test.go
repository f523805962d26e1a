package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// sliceFor builds a slice upload of video frames first..first+n-1 over the
// UTC range [start, end) seconds from the epoch.
func sliceFor(t testing.TB, m *testMedia, dev string, seq uint64, first uint64, n int, start, end int) cloudapi.SliceUpload {
	body, af, an := m.ts(t, first, n, true, nil)
	return cloudapi.SliceUpload{Device: dev, Seq: seq, Format: cloudapi.FormatTS, UTCStart: at(start), UTCEnd: at(end),
		PTSFirst: time.Duration(first) * time.Second / 15, PTSLast: time.Duration(first+uint64(n)-1) * time.Second / 15,
		FrameSeqFirst: first, FrameSeqLast: first + uint64(n) - 1, AudioFrames: an, AudioSeqFirst: af,
		AudioSeqLast: af + uint64(an) - 1, Body: body}
}

func newClient(t testing.TB, c *Cloud) *httpapi.Client {
	t.Helper()
	cl, err := httpapi.New(c.BaseURL(), httpapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.CloseIdle)
	return cl
}

// TestRetryOfAStoredSliceStaysStored: a slice whose reply was lost is
// retried — or backfilled — after the plan ended and past the window; it is
// stored already, so it is answered stored, with no observation: a refusal
// would give its delivered frames a second fate on the device.
func TestRetryOfAStoredSliceStaysStored(t *testing.T) {
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	rec := &recorder{}
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off"}, clk, rec)
	cl := newClient(t, c)
	m := newTestMedia(t)
	ctx := context.Background()
	good := sliceFor(t, m, "cam-7", 1, 0, 30, 0, 2)
	if r, err := cl.UploadSlice(ctx, good); err != nil || !r.Stored {
		t.Fatalf("first upload: %+v %v", r, err)
	}
	n0 := len(rec.all())
	c.SetPlan("cam-7", 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
	clk.Advance(2 * time.Hour)
	late := good
	late.Backfill = true
	if r, err := cl.UploadSlice(ctx, late); err != nil || !r.Stored || r.Frames != 30 {
		t.Fatalf("retry after the plan ended and past the window: %+v %v", r, err)
	}
	if n := len(rec.all()) - n0; n != 0 {
		t.Fatalf("the retry emitted %d observations", n)
	}
	// a slice never stored is still refused
	other := sliceFor(t, m, "cam-7", 2, 30, 30, 2, 4)
	if _, err := cl.UploadSlice(ctx, other); !cloudapi.IsCode(err, cloudapi.CodeNoService) {
		t.Fatalf("new slice without a plan: %v", err)
	}
}

func TestHTTPSliceUpload(t *testing.T) {
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	rec := &recorder{}
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off"}, clk, rec)
	cl := newClient(t, c)
	m := newTestMedia(t)
	ctx := context.Background()

	good := sliceFor(t, m, "cam-7", 1, 0, 30, 0, 2)
	r, err := cl.UploadSlice(ctx, good)
	if err != nil || !r.Stored || r.Frames != 30 || r.Overwritten != 0 {
		t.Fatalf("good slice: %+v %v", r, err)
	}
	// the same slice again (a retry after a lost reply): stored, no overwrite, no second fates
	n0 := len(rec.all())
	if r, err := cl.UploadSlice(ctx, good); err != nil || !r.Stored || r.Overwritten != 0 {
		t.Fatalf("retry: %+v %v", r, err)
	}
	if len(rec.all()) != n0 {
		t.Fatalf("a retried slice emitted %d more observations", len(rec.all())-n0)
	}
	// overlapping the first (device clock stepped back): stored, counted
	over := sliceFor(t, m, "cam-7", 2, 30, 30, 1, 3)
	r, err = cl.UploadSlice(ctx, over)
	if err != nil || r.Overwritten != 1 {
		t.Fatalf("overlap: %+v %v", r, err)
	}
	if n := rec.count(observe.SliceOverwritten, ""); n != 1 {
		t.Fatalf("%d SliceOverwritten observations", n)
	}

	// bad slices: each with the code and the frames rejected
	truncated := sliceFor(t, m, "cam-7", 3, 60, 30, 4, 6)
	truncated.Body = truncated.Body[:len(truncated.Body)/2+1]
	notIDR := sliceFor(t, m, "cam-7", 4, 91, 20, 6, 8) // starts mid-GOP
	wrongCount := sliceFor(t, m, "cam-7", 5, 120, 30, 8, 10)
	wrongCount.FrameSeqLast += 5
	garbage := sliceFor(t, m, "cam-7", 6, 150, 30, 10, 12)
	garbage.Body = bytes.Repeat([]byte{0x47, 1, 2, 3}, 47*10)
	backfillOld := sliceFor(t, m, "cam-7", 7, 180, 30, 0, 2)
	backfillOld.Backfill = true
	backfillOld.UTCStart, backfillOld.UTCEnd = at(-3600), at(-3598)
	backfillNew := sliceFor(t, m, "cam-7", 8, 210, 30, 3000, 3002)
	backfillNew.Backfill = true
	cases := []struct {
		name   string
		s      cloudapi.SliceUpload
		code   string
		reject string // reason of the FrameRejected observations ("" none)
	}{
		{"truncated TS", truncated, cloudapi.CodeBadSlice, ReasonBadSlice},
		{"first frame not IDR", notIDR, cloudapi.CodeNotIDR, observe.ReasonNotIDR},
		{"frame count differs", wrongCount, cloudapi.CodeBadSlice, ReasonBadSlice},
		{"not TS at all", garbage, cloudapi.CodeBadSlice, ReasonBadSlice},
		{"backfill past its window", backfillOld, cloudapi.CodeExpired, ""},
		{"backfill in its window", backfillNew, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := rec.count(observe.FrameRejected, tc.reject)
			_, err := cl.UploadSlice(ctx, tc.s)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !cloudapi.IsCode(err, tc.code) {
				t.Fatalf("err = %v, want code %s", err, tc.code)
			}
			got := rec.count(observe.FrameRejected, tc.reject) - before
			want := 0
			if tc.reject != "" {
				want = int(tc.s.FrameSeqLast-tc.s.FrameSeqFirst+1) + tc.s.AudioFrames
			}
			if got != want {
				t.Fatalf("%d frames rejected, want %d", got, want)
			}
		})
	}
	// no plan: 402 no_service, the frames are the device's to lose
	c.SetPlan("cam-7", 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
	before := rec.count(observe.FrameRejected, "")
	if _, err := cl.UploadSlice(ctx, sliceFor(t, m, "cam-7", 9, 240, 30, 20, 22)); !cloudapi.IsCode(err, cloudapi.CodeNoService) {
		t.Fatalf("no plan: %v", err)
	}
	if rec.count(observe.FrameRejected, "") != before {
		t.Fatal("no_service rejected frames")
	}
	snap := c.Snapshot()
	if snap.SlicesStored != 4 || snap.SlicesOverwritten != 1 || snap.BackfillsExpired != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
}

// raw sends a request and returns status and decoded error body.
func raw(t *testing.T, c *Cloud, method, path string, h map[string]string, body []byte, chunked bool) (int, httpapi.ErrorBody) {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(bytes.NewReader(body)) // unknown length: chunked
	}
	req, err := http.NewRequest(method, c.BaseURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb httpapi.ErrorBody
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb
}

func TestHTTPRoutesBadRequests(t *testing.T) {
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off", MaxSliceBytes: 1 << 20, MaxPictureBytes: 64 << 10}, clk, &recorder{})
	m := newTestMedia(t)
	s := sliceFor(t, m, "cam-1", 1, 0, 30, 0, 2)
	hdr := http.Header{}
	httpapi.SetSliceHeader(hdr, &s)
	sh := map[string]string{}
	for k := range hdr {
		sh[k] = hdr.Get(k)
	}
	without := func(k string) map[string]string {
		o := map[string]string{}
		for a, b := range sh {
			if a != k {
				o[a] = b
			}
		}
		return o
	}
	jpg := realJPEG(t)
	ev := `{"device":"cam-1","channel":0,"event_id":1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:10Z"}`
	cases := []struct {
		name         string
		method, path string
		h            map[string]string
		body         []byte
		chunked      bool
		status       int
		code         string
	}{
		{"slice ok", "POST", "/v1/devices/cam-1/channels/0/slices", sh, s.Body, false, 200, ""},
		{"slice missing seq header", "POST", "/v1/devices/cam-1/channels/0/slices", without(httpapi.HeaderSliceSeq), s.Body, false, 400, cloudapi.CodeBadRequest},
		{"slice missing content type", "POST", "/v1/devices/cam-1/channels/0/slices", without("Content-Type"), s.Body, false, 400, cloudapi.CodeBadRequest},
		{"slice no length", "POST", "/v1/devices/cam-1/channels/0/slices", sh, s.Body, true, 411, cloudapi.CodeBadRequest},
		{"slice too large", "POST", "/v1/devices/cam-1/channels/0/slices", sh, make([]byte, 2<<20), false, 413, cloudapi.CodeTooLarge},
		{"slice bad channel", "POST", "/v1/devices/cam-1/channels/99/slices", sh, s.Body, false, 400, cloudapi.CodeBadRequest},
		{"slice empty body", "POST", "/v1/devices/cam-1/channels/0/slices", sh, nil, false, 422, cloudapi.CodeBadSlice},
		{"picture ok", "POST", "/v1/devices/cam-1/channels/0/pictures", map[string]string{"Content-Type": "image/jpeg", "X-Event-Id": "1"}, jpg, false, 200, ""},
		{"picture not jpeg", "POST", "/v1/devices/cam-1/channels/0/pictures", map[string]string{"Content-Type": "image/jpeg"}, []byte("GIF89a......"), false, 422, cloudapi.CodeBadRequest},
		{"picture truncated", "POST", "/v1/devices/cam-1/channels/0/pictures", map[string]string{"Content-Type": "image/jpeg"}, jpg[:len(jpg)-10], false, 422, cloudapi.CodeBadRequest},
		{"picture wrong type", "POST", "/v1/devices/cam-1/channels/0/pictures", map[string]string{"Content-Type": "image/png"}, jpg, false, 400, cloudapi.CodeBadRequest},
		{"picture too large", "POST", "/v1/devices/cam-1/channels/0/pictures", map[string]string{"Content-Type": "image/jpeg"}, make([]byte, 100<<10), false, 413, cloudapi.CodeTooLarge},
		{"picture bad event", "POST", "/v1/devices/cam-1/channels/0/pictures", map[string]string{"Content-Type": "image/jpeg", "X-Event-Id": "x"}, jpg, false, 400, cloudapi.CodeBadRequest},
		{"event ok", "POST", "/v1/devices/cam-1/events", map[string]string{"Content-Type": "application/json"}, []byte(ev), false, 200, ""},
		{"event other device", "POST", "/v1/devices/cam-2/events", map[string]string{"Content-Type": "application/json"}, []byte(ev), false, 400, cloudapi.CodeBadRequest},
		{"event truncated", "POST", "/v1/devices/cam-1/events", nil, []byte(ev[:20]), false, 400, cloudapi.CodeBadRequest},
		{"event too large", "POST", "/v1/devices/cam-1/events", nil, make([]byte, 64<<10), false, 413, cloudapi.CodeTooLarge},
		{"token ok", "POST", "/v1/token", nil, []byte(`{"device_sn":"cam-1","device_token":"x"}`), false, 503, cloudapi.CodeUnavailable}, // RTMP off
		{"token bad", "POST", "/v1/token", nil, []byte(`{"device_sn":"cam-1"}`), false, 400, cloudapi.CodeBadRequest},
		{"plan get", "GET", "/v1/devices/cam-1/channels/0/plan", nil, nil, false, 200, ""},
		{"plan bad version", "GET", "/v1/devices/cam-1/channels/0/plan?known_version=x", nil, nil, false, 400, cloudapi.CodeBadRequest},
		{"plan bad wait", "GET", "/v1/devices/cam-1/channels/0/plan?known_version=1&wait=forever", nil, nil, false, 400, cloudapi.CodeBadRequest},
		{"plan put bad", "PUT", "/v1/devices/cam-1/channels/0/plan", nil, []byte(`{"kind":"gold"}`), false, 400, cloudapi.CodeBadRequest},
		{"destroy", "DELETE", "/v1/devices/cam-1", nil, nil, false, 200, ""},
		{"unknown route", "GET", "/v2/anything", nil, nil, false, 404, cloudapi.CodeNotFound},
		{"wrong method", "GET", "/v1/devices/cam-1/channels/0/slices", nil, nil, false, 404, cloudapi.CodeNotFound},
		{"auth no token", "POST", "/v1/auth/publish", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte("name=cam-1"), false, 403, cloudapi.CodeUnauthorized},
		{"auth unknown token", "POST", "/v1/auth/publish", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte("name=cam-1&token=nope"), false, 403, cloudapi.CodeUnauthorized},
		{"faults bad", "PUT", "/v1/admin/faults", nil, []byte(`{"error_rate":{"nowhere":0.5}}`), false, 400, cloudapi.CodeBadRequest},
		{"faults rate out of range", "PUT", "/v1/admin/faults", nil, []byte(`{"error_rate":{"slice":1.5}}`), false, 400, cloudapi.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, eb := raw(t, c, tc.method, tc.path, tc.h, tc.body, tc.chunked)
			if st != tc.status || eb.Code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", st, eb.Code, eb.Message, tc.status, tc.code)
			}
		})
	}
	// the cloud still serves after all that
	if st, _ := raw(t, c, "GET", "/v1/health", nil, nil, false); st != 200 {
		t.Fatalf("health %d", st)
	}
}

func TestHTTPPlanLongPollAndEvents(t *testing.T) {
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off"}, clock.NewReal(), &recorder{})
	cl := newClient(t, c)
	ctx := context.Background()
	p, err := cl.QueryPlan(ctx, "cam-3", 1, 0)
	if err != nil || p.Kind != cloudapi.PlanFullTime || p.Version != 1 {
		t.Fatalf("plan %+v %v", p, err)
	}
	got := make(chan cloudapi.Plan, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		p, err := cl.QueryPlan(ctx, "cam-3", 1, p.Version)
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	time.Sleep(50 * time.Millisecond) // let the poll reach the server (not an assertion)
	if _, err := cl.SetPlan(ctx, "cam-3", 1, httpapi.PlanBody{Kind: cloudapi.PlanEvent, Valid: true}); err != nil {
		t.Fatal(err)
	}
	if p := <-got; p.Kind != cloudapi.PlanEvent || p.Version != 2 {
		t.Fatalf("long poll got %+v", p)
	}
	// events need a plan, direct reports do not
	e := cloudapi.EventReport{Device: "cam-3", Channel: 1, EventID: 4, Start: time.Now(), End: time.Now()}
	if r, err := cl.ReportEvent(ctx, e); err != nil || !r.OK {
		t.Fatalf("event: %+v %v", r, err)
	}
	c.SetPlan("cam-3", 1, cloudapi.Plan{Kind: cloudapi.PlanNone})
	if _, err := cl.ReportEvent(ctx, e); !cloudapi.IsCode(err, cloudapi.CodeNoService) {
		t.Fatalf("event without plan: %v", err)
	}
	e.Direct = true
	if _, err := cl.ReportEvent(ctx, e); err != nil {
		t.Fatalf("direct report: %v", err)
	}
	if err := cl.DestroyResources(ctx, "cam-3"); err != nil {
		t.Fatal(err)
	}
	if p, _ := cl.QueryPlan(ctx, "cam-3", 1, 0); p.Kind != cloudapi.PlanFullTime {
		t.Fatalf("after destroy the plan is %+v", p)
	}
}

func TestHTTPFaults(t *testing.T) {
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off", Seed: 9}, clock.NewReal(), &recorder{})
	cl := newClient(t, c)
	ctx := context.Background()
	c.SetErrorRate(RoutePlan, 1)
	if _, err := cl.QueryPlan(ctx, "cam-1", 0, 0); !cloudapi.IsCode(err, cloudapi.CodeUnavailable) {
		t.Fatalf("error rate 1: %v", err)
	}
	c.SetErrorRate(RoutePlan, 0.5)
	fails := 0
	for i := 0; i < 200; i++ {
		if _, err := cl.QueryPlan(ctx, "cam-1", 0, 0); err != nil {
			fails++
		}
	}
	if fails < 60 || fails > 140 {
		t.Fatalf("error rate 0.5: %d of 200 failed", fails)
	}
	c.SetErrorRate(RoutePlan, 0)
	// refused connections: a new connection is closed at once
	c.RefuseConnections(true)
	cl2 := newClient(t, c)
	if _, err := cl2.QueryPlan(ctx, "cam-1", 0, 0); err == nil {
		t.Fatal("refused cloud answered")
	}
	c.RefuseConnections(false)
	if _, err := cl2.QueryPlan(ctx, "cam-1", 0, 0); err != nil {
		t.Fatal(err)
	}
	// connection cap: the keep-alive connection of cl2 is open; cap 1 refuses a second client
	c.SetConnectionCap(1)
	cl3 := newClient(t, c)
	if _, err := cl3.QueryPlan(ctx, "cam-1", 0, 0); err == nil {
		t.Fatal("second connection over the cap answered")
	}
	c.SetConnectionCap(0)
	// drop every connection
	if n := c.DropConnections(); n < 1 {
		t.Fatalf("dropped %d", n)
	}
	// added latency
	c.SetReplyLatency(30 * time.Millisecond)
	t0 := time.Now()
	if _, err := cl.QueryPlan(ctx, "cam-1", 0, 0); err != nil {
		t.Fatal(err)
	}
	if time.Since(t0) < 30*time.Millisecond {
		t.Fatal("reply latency not applied")
	}
	c.SetReplyLatency(0)
	if s := c.Snapshot(); s.InjectedErrors < 60 || s.RefusedConns < 2 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestHTTPRestart(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off"}, clk, &recorder{})
	cl := newClient(t, c)
	ctx := context.Background()
	addr := c.HTTPAddr()
	c.SetPlan("cam-1", 0, cloudapi.Plan{Kind: cloudapi.PlanEvent, Valid: true})
	if err := c.Restart(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.QueryPlan(ctx, "cam-1", 0, 0); err == nil {
		t.Fatal("answered while down")
	}
	if err := c.Restart(time.Second); err == nil {
		t.Fatal("restart while down accepted")
	}
	clk.Advance(30 * time.Second)
	if c.HTTPAddr() != addr {
		t.Fatalf("came back on %s, was %s", c.HTTPAddr(), addr)
	}
	p, err := cl.QueryPlan(ctx, "cam-1", 0, 0)
	if err != nil || p.Kind != cloudapi.PlanEvent {
		t.Fatalf("after restart: %+v %v (plans must survive)", p, err)
	}
	if s := c.Snapshot(); s.Restarts != 1 || s.Down {
		t.Fatalf("snapshot %+v", s)
	}
	_ = strconv.Itoa
	_ = strings.Contains
}
