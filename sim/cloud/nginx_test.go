package cloud

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// ffmpegPublish publishes a 2 s synthetic H.264 + AAC stream to url and
// returns ffmpeg's error (nil: the publish was accepted and completed).
func ffmpegPublish(t *testing.T, url string, seconds int) ([]byte, error) {
	t.Helper()
	return testpeer.Run(context.Background(), 60*time.Second, "ffmpeg", "-hide_banner", "-loglevel", "error",
		"-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "32k", "-f", "flv", url)
}

// TestNginxOnPublishTokenCheck: nginx-rtmp in front of the mock cloud, its
// on_publish calling the cloud's token check (POST /v1/auth/publish). A
// token from the cloud's token server is accepted, an unknown one and an
// expired one are refused, and nginx records only the accepted stream.
func TestNginxOnPublishTokenCheck(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "nginx")
	clk := clock.NewFake(time.Now())
	c := startCloud(t, Config{RTPAddr: "off", TokenTTL: time.Hour}, clk, &recorder{})
	ng := testpeer.StartNginxRTMP(t, testpeer.NginxOptions{Record: true, OnPublish: c.BaseURL() + "/v1/auth/publish"})
	cl := newClient(t, c)
	rep, err := cl.Token(context.Background(), cloudapi.TokenRequest{DeviceSN: "cam-0001", DeviceToken: "dev-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.URL, "token="+rep.Token) {
		t.Fatalf("token reply %+v", rep)
	}
	// valid token: accepted end to end
	if out, err := ffmpegPublish(t, ng.URL("live", "cam-0001")+"?token="+rep.Token, 2); err != nil {
		t.Fatalf("valid token refused: %v\n%s", err, out)
	}
	// unknown token, and a valid token on another stream: refused
	if out, err := ffmpegPublish(t, ng.URL("live", "cam-0001")+"?token=0000", 2); err == nil {
		t.Fatalf("unknown token accepted\n%s", out)
	}
	if out, err := ffmpegPublish(t, ng.URL("live", "cam-0002")+"?token="+rep.Token, 2); err == nil {
		t.Fatalf("token of another stream accepted\n%s", out)
	}
	// expired: the cloud's clock passes the token's TTL
	clk.Advance(time.Hour + time.Second)
	if out, err := ffmpegPublish(t, ng.URL("live", "cam-0001")+"?token="+rep.Token, 2); err == nil {
		t.Fatalf("expired token accepted\n%s", out)
	}
	if s := c.Snapshot(); s.AuthChecksOK != 1 || s.AuthChecksRefused != 3 {
		t.Fatalf("the cloud answered %d checks ok, %d refused; want 1 and 3", s.AuthChecksOK, s.AuthChecksRefused)
	}
	ng.Stop()
	var recorded []string
	for _, f := range ng.Recordings() {
		if st, err := os.Stat(f); err == nil && st.Size() > 0 {
			recorded = append(recorded, f)
		}
	}
	if len(recorded) != 1 || !strings.Contains(recorded[0], "cam-0001") {
		t.Fatalf("recordings %v, want exactly the accepted cam-0001", recorded)
	}
	if n := testpeer.FFprobeCountFrames(t, recorded[0], "v"); n < 25 {
		t.Fatalf("recorded %d video frames of 30", n)
	}
}
