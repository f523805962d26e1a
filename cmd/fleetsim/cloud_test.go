package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/ingestauth"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCloudBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--auth", "md5:x"},
		{"--auth", "kingsoft:"},
		{"--auth", "token:ftp://x"},
		{"--default-plan", "gold"},
		{"--webhook-url", "example.com"},
		{"--webhook-interval", "0s"},
		{"extra"},
	} {
		code, _, errs := runCLI(t, append([]string{"cloud"}, args...)...)
		if code != exitBadInput || errs == "" {
			t.Errorf("%v: code %d, stderr %q", args, code, errs)
		}
	}
}

// TestCloudStandalone runs `fleetsim cloud --auth kingsoft:123456` and has
// ffmpeg publish to it with a valid and an invalid signature.
func TestCloudStandalone(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	rtmpPort, httpPort := testpeer.FreePort(t), testpeer.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	env := &cliEnv{stdout: out, stderr: out, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, env, []string{"cloud", "--rtmp", fmt.Sprintf("127.0.0.1:%d", rtmpPort),
			"--http", fmt.Sprintf("127.0.0.1:%d", httpPort), "--rtp", "off", "--auth", "kingsoft:123456"})
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitPass {
			t.Errorf("exit %d\n%s", code, out.String())
		}
	}()
	if err := testpeer.WaitTCP(fmt.Sprintf("127.0.0.1:%d", httpPort), 10*time.Second); err != nil {
		t.Fatal(err, out.String())
	}
	// a valid signature for now + 1 h (the vector's t is in 2019: expired)
	exp := time.Now().Add(time.Hour).Unix()
	k := ingestauth.KingsoftK("123456", "cam-1", strconv.FormatInt(exp, 10))
	publish := func(q string) error {
		_, err := testpeer.Run(context.Background(), 60*time.Second, "ffmpeg", "-hide_banner", "-loglevel", "error",
			"-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-t", "1", "-c:v", "libx264",
			"-preset", "ultrafast", "-g", "15", "-f", "flv", fmt.Sprintf("rtmp://127.0.0.1:%d/live/cam-1?%s", rtmpPort, q))
		return err
	}
	if err := publish(fmt.Sprintf("t=%d&k=%s", exp, k)); err != nil {
		t.Fatalf("valid publish refused: %v\n%s", err, out.String())
	}
	if err := publish("t=1560096712&k=4f88e741140240e2"); err == nil {
		t.Fatal("expired publish accepted")
	}
	if err := publish(fmt.Sprintf("t=%d&k=0000000000000000", exp)); err == nil {
		t.Fatal("bad signature accepted")
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/v1/stats", httpPort))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"publish_accepted":1`, `"5/2 URL Expired":1`, `"5/0 Authentication Failed":1`} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("stats lack %s: %s", want, b.String())
		}
	}
	if !strings.Contains(out.String(), "rtmp   rtmp://127.0.0.1:") {
		t.Fatalf("addresses not printed: %s", out.String())
	}
}
