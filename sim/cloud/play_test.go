package cloud

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud/loadgen"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// TestPlayProbePlayer: a fleetsim camera publishes; ffmpeg plays the stream
// back from the cloud (a probe player) and decodes its frames; a play of a
// stream nobody publishes is refused.
func TestPlayProbePlayer(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	c := startCloud(t, Config{HTTPAddr: "off", RTPAddr: "off"}, clock.NewReal(), &recorder{})
	sh, err := source.NewShared(loadgen.Quickstart())
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadgen.New(loadgen.Config{URL: c.PublishURL("live", "cam-0002"), Device: 2, Shared: sh,
		Clock: clock.NewReal(), Rand: rng.New(1, "play"), Sink: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for c.Snapshot().LiveStreams == 0 {
		if time.Now().After(deadline) {
			t.Fatal("publisher never went live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	out := filepath.Join(t.TempDir(), "played.flv")
	if b, err := testpeer.Run(context.Background(), 60*time.Second, "ffmpeg", "-hide_banner", "-loglevel", "error",
		"-i", c.PublishURL("live", "cam-0002"), "-t", "3", "-c", "copy", "-f", "flv", out); err != nil {
		t.Fatalf("ffmpeg play: %v\n%s", err, b)
	}
	// the player starts at the next key frame (GOP 2 s): 1–3 s of media
	if n := testpeer.FFprobeCountFrames(t, out, "v"); n < 15 {
		t.Fatalf("played %d video frames in 3 s", n)
	}
	if n := testpeer.FFprobeCountFrames(t, out, "a"); n < 15 {
		t.Fatalf("played %d audio frames in 3 s", n)
	}
	testpeer.FFmpegDecodeClean(t, out)
	b, err := testpeer.Run(context.Background(), 30*time.Second, "ffmpeg", "-hide_banner", "-loglevel", "error",
		"-i", c.PublishURL("live", "nobody"), "-t", "1", "-f", "null", "-")
	if err == nil {
		t.Fatalf("play of a stream nobody publishes succeeded\n%s", b)
	}
}

// TestTokenAuthCallbackAndWebhooks: an ingest with --auth token:URL asks
// an auth server (here the cloud's own /v1/auth/publish, over HTTP) about
// each publish; publish start and end reach the webhook, signed.
func TestTokenAuthCallbackAndWebhooks(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	// the auth server: a cloud's HTTP API with its token server
	authCloud := startCloud(t, Config{RTPAddr: "off"}, clock.NewReal(), &recorder{})
	hooks := &hookReceiver{}
	hs := httptest.NewServer(hooks)
	defer hs.Close()
	c := startCloud(t, Config{HTTPAddr: "off", RTPAddr: "off", Auth: Auth{Kind: AuthToken, URL: authCloud.BaseURL() + "/v1/auth/publish"},
		Webhook: WebhookConfig{URL: hs.URL, Key: "hook-key"}}, clock.NewReal(), &recorder{})
	rep, err := authCloud.IssueToken("cam-0003")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := ffmpegPublish(t, c.PublishURL("live", "cam-0003")+"?token="+rep.Token, 1); err != nil {
		t.Fatalf("valid token refused: %v\n%s", err, out)
	}
	if out, err := ffmpegPublish(t, c.PublishURL("live", "cam-0003")+"?token=bad", 1); err == nil {
		t.Fatalf("bad token accepted\n%s", out)
	}
	s := c.Snapshot()
	if s.PublishAccepted != 1 || s.RefusedByStatus["5/0 Authentication Failed"] != 1 {
		t.Fatalf("snapshot %+v", s)
	}
	if a := authCloud.Snapshot(); a.AuthChecksOK != 1 || a.AuthChecksRefused != 1 {
		t.Fatalf("auth server answered %d ok, %d refused", a.AuthChecksOK, a.AuthChecksRefused)
	}
	deadline := time.Now().Add(10 * time.Second)
	for hooks.n() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks", hooks.n())
		}
		time.Sleep(10 * time.Millisecond)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	start, end := hooks.got[0], hooks.got[1]
	if start.EventType != HookPublishStart || end.EventType != HookPublishEnd || start.StreamID != "cam-0003" ||
		start.Sequence == end.Sequence || start.Sign != Sign("hook-key", start.T) || end.ErrCode != 1 ||
		!strings.Contains(start.StreamParam, "token=") {
		t.Fatalf("webhooks %+v %+v", start, end)
	}
}
