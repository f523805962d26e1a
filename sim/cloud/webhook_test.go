package cloud

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/units"
)

// hookReceiver answers the first failures requests with 500, then 200.
type hookReceiver struct {
	mu       sync.Mutex
	failures int
	got      []Hook
	bodies   [][]byte
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var hk Hook
	_ = json.Unmarshal(b, &hk)
	h.mu.Lock()
	h.got = append(h.got, hk)
	h.bodies = append(h.bodies, b)
	fail := len(h.got) <= h.failures
	h.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *hookReceiver) n() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.got) }

// settle waits (real time, bounded) until no attempt is in flight; the
// retry timers are on the fake clock.
func settle(t *testing.T, w *webhooks, attempts int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.attempts.Load() < attempts || w.flying.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("attempts %d, in flight %d; want %d attempts settled", w.attempts.Load(), w.flying.Load(), attempts)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWebhookRetryUntil200(t *testing.T) {
	for _, failures := range []int{0, 1, 3, 10} {
		rec := &hookReceiver{failures: failures}
		srv := httptest.NewServer(rec)
		clk := clock.NewFake(clock.Epoch())
		ctx, cancel := context.WithCancel(context.Background())
		w := newWebhooks(ctx, clk, WebhookConfig{URL: srv.URL, Key: "k3y"})
		w.send(Hook{EventType: HookPublishStart, StreamID: "cam-1"})
		for i := 1; i <= failures+1; i++ {
			settle(t, w, int64(i))
			if i <= failures {
				// no retry before the interval
				clk.Advance(time.Minute - time.Nanosecond)
				if w.attempts.Load() != int64(i) {
					t.Fatalf("retried before a minute")
				}
				clk.Advance(time.Nanosecond)
			}
		}
		settle(t, w, int64(failures+1))
		clk.Advance(time.Hour) // nothing more is due
		settle(t, w, int64(failures+1))
		if got := rec.n(); got != failures+1 {
			t.Fatalf("%d failures: %d deliveries, want %d", failures, got, failures+1)
		}
		st := w.stats()
		if st.Delivered != 1 || st.Pending != 0 || st.GaveUp != 0 {
			t.Fatalf("stats %+v", st)
		}
		// every attempt carries the same sequence and a valid signature
		for _, h := range rec.got {
			if h.Sequence != "1" || h.Sign != Sign("k3y", h.T) || h.EventType != HookPublishStart {
				t.Fatalf("hook %+v", h)
			}
		}
		cancel()
		w.close()
		srv.Close()
	}
}

func TestWebhookGivesUpAfterTenRetries(t *testing.T) {
	rec := &hookReceiver{failures: 1000}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	clk := clock.NewFake(clock.Epoch())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWebhooks(ctx, clk, WebhookConfig{URL: srv.URL, Key: "k", Interval: 5 * time.Second})
	w.send(Hook{EventType: HookPublishEnd})
	for i := 1; i <= 11; i++ {
		settle(t, w, int64(i))
		clk.Advance(5 * time.Second)
	}
	settle(t, w, 11)
	clk.Advance(time.Hour)
	if rec.n() != 11 {
		t.Fatalf("%d attempts, want 1 + 10 retries", rec.n())
	}
	if st := w.stats(); st.GaveUp != 1 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	w.close()
}

func TestSign(t *testing.T) {
	// MD5("k" + "1473126233")
	if got := Sign("k", 1473126233); len(got) != 32 || got != Sign("k", 1473126233) || got == Sign("k", 1473126234) {
		t.Fatalf("sign %q", got)
	}
	if Sign("", 0) != "cfcd208495d565ef66e7dff9f98764da" { // md5("0")
		t.Fatalf("sign of t=0: %s", Sign("", 0))
	}
}

// TestRecordingAndSnapshotCallbacks: a stored slice sends a recording
// callback (100), a stored picture a snapshot callback (200).
func TestRecordingAndSnapshotCallbacks(t *testing.T) {
	rec := &hookReceiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off",
		Webhook: WebhookConfig{URL: srv.URL, Key: "k", Recording: true, Snapshot: true}}, clk, &recorder{})
	cl := newClient(t, c)
	m := newTestMedia(t)
	if _, err := cl.UploadSlice(context.Background(), sliceFor(t, m, "cam-4", 1, 0, 30, 0, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.UploadPicture(context.Background(), cloudapi.PictureUpload{Device: "cam-4", EventID: 2, Body: realJPEG(t)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rec.n() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d callbacks", rec.n())
		}
		time.Sleep(5 * time.Millisecond)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	types := map[int]Hook{}
	for _, h := range rec.got {
		types[h.EventType] = h
	}
	r, s := types[HookRecording], types[HookSnapshot]
	if r.Device != "cam-4" || r.StartMS != at(0).UnixMilli() || r.EndMS != at(2).UnixMilli() || r.FileSize == 0 {
		t.Fatalf("recording callback %+v", r)
	}
	if s.Device != "cam-4" || s.FileID == "" || s.FileSize == 0 {
		t.Fatalf("snapshot callback %+v", s)
	}
}

// TestBandwidthBucket: with a cap, reads past the burst wait on the
// cloud's clock for as long as the cap says.
func TestBandwidthBucket(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	b := &bucket{clk: clk}
	done := make(chan struct{})
	// 8 Mbit/s = 1 MB/s; burst 100 ms = 100 kB (at least 64 KiB)
	if err := b.take(done, 8*units.Mbps, 100_000); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.take(done, 8*units.Mbps, 500_000) }() // 500 kB of debt: 0.5 s
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	next, _ := clk.Next()
	if w := next.Sub(clk.Now()); w < 490*time.Millisecond || w > 510*time.Millisecond {
		t.Fatalf("waits %v for 500 kB at 1 MB/s", w)
	}
	clk.Advance(500 * time.Millisecond)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// a closed connection stops waiting
	go func() { got <- b.take(done, 8*units.Mbps, 1_000_000) }()
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(done)
	if err := <-got; err == nil {
		t.Fatal("take returned nil after the connection closed")
	}
}
