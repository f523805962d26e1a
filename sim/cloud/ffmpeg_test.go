package cloud

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// TestFFmpegPublishAuth is evidence 1: ffmpeg, a real client, publishes to
// the cloud with Kingsoft and Tencent auth, with the documents' vectors:
// valid URLs are accepted and their frames arrive, invalid, missing and
// expired ones are refused with the document's status.
func TestFFmpegPublishAuth(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	cases := []struct {
		name   string
		auth   Auth
		clock  time.Time
		path   string // app/stream?query
		status string // "" accepted, else the refusal key in the snapshot
	}{
		{"kingsoft valid", ks, ksBefore, "live/stream?t=1560096712&k=4f88e741140240e2", ""},
		{"kingsoft invalid k", ks, ksBefore, "live/stream?t=1560096712&k=0000e741140240e2", "5/0 Authentication Failed"},
		{"kingsoft other stream", ks, ksBefore, "live/stream2?t=1560096712&k=4f88e741140240e2", "5/0 Authentication Failed"},
		{"kingsoft missing k", ks, ksBefore, "live/stream?t=1560096712", "5/1 Accesskey Or Signature Not Exist"},
		{"kingsoft expired", ks, ksAfter, "live/stream?t=1560096712&k=4f88e741140240e2", "5/2 URL Expired"},
		{"tencent valid", tx, txBefore, "live/test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099", ""},
		{"tencent invalid secret", tx, txBefore, "live/test?txSecret=f85a2ab363fe4deaffef9754d79da6ff&txTime=5C271099", "5/0 Authentication Failed"},
		{"tencent missing", tx, txBefore, "live/test?txTime=5C271099", "5/1 Accesskey Or Signature Not Exist"},
		{"tencent expired", tx, txAfter, "live/test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099", "5/2 URL Expired"},
		{"non-existent app", ks, ksBefore, "vod/stream?t=1560096712&k=4f88e741140240e2", "2/0 Non-Exist Application"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startCloud(t, Config{HTTPAddr: "off", RTPAddr: "off", Auth: tc.auth, Logf: t.Logf}, clock.NewFake(tc.clock), &recorder{})
			out, err := ffmpegPublish(t, "rtmp://"+c.RTMPAddr()+"/"+tc.path, 2)
			s := c.Snapshot()
			if tc.status == "" {
				if err != nil {
					t.Fatalf("valid publish refused: %v\n%s", err, out)
				}
				// 2 s at 15 fps; 16 kHz AAC: 31 frames
				if s.PublishAccepted != 1 || s.StreamsEnded != 1 || s.RTMPVideoFrames != 30 || s.RTMPAudioFrames < 30 {
					t.Fatalf("snapshot %+v", s)
				}
				return
			}
			if err == nil {
				t.Fatalf("publish accepted, want %s\n%s", tc.status, out)
			}
			if s.PublishAccepted != 0 || s.RefusedByStatus[tc.status] != 1 {
				t.Fatalf("refusals %v accepted %d, want %s", s.RefusedByStatus, s.PublishAccepted, tc.status)
			}
		})
	}
}

// TestFFmpegStreamAlreadyExists: a second publisher of a live stream name
// is refused with 3/0 while the first goes on.
func TestFFmpegStreamAlreadyExists(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	c := startCloud(t, Config{HTTPAddr: "off", RTPAddr: "off"}, clock.NewReal(), &recorder{})
	url := "rtmp://" + c.RTMPAddr() + "/live/cam-1"
	var wg sync.WaitGroup
	var firstErr error
	var firstOut []byte
	wg.Add(1)
	go func() { defer wg.Done(); firstOut, firstErr = ffmpegPublish(t, url, 4) }()
	deadline := time.Now().Add(10 * time.Second)
	for c.Snapshot().LiveStreams == 0 {
		if time.Now().After(deadline) {
			t.Fatal("first publisher never went live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	out, err := ffmpegPublish(t, url, 1)
	wg.Wait()
	if err == nil {
		t.Fatalf("second publisher accepted\n%s", out)
	}
	if firstErr != nil {
		t.Fatalf("first publisher: %v\n%s", firstErr, firstOut)
	}
	s := c.Snapshot()
	if s.RefusedByStatus["3/0 Already Exist Stream Name"] != 1 || s.PublishAccepted != 1 {
		t.Fatalf("snapshot %+v", s)
	}
	if !strings.Contains(string(out), "BadName") && !strings.Contains(string(out), "Already") {
		t.Logf("ffmpeg said: %s", out)
	}
}
