package runner

import (
	"testing"
	"time"
)

// TestPushConfigFromProfile: the rtmp-push keys of a profile reach the push
// SDK's options (the gathering ones are off unless the scenario asks).
func TestPushConfigFromProfile(t *testing.T) {
	const src = `
name: push-config
duration: 10s
profiles:
  plain:
    sdk: {kind: rtmp-push, heartbeat: 3s}
  gathered:
    sdk: {kind: rtmp-push, flush_delay: 100ms, flush_on_video: true}
fleet:
  - {group: a, count: 1, profile: plain}
  - {group: b, count: 1, profile: gathered}
target: {kind: rtmp, url: "rtmp://127.0.0.1:1935/live/{device}"}
`
	sc := load(t, src)
	for _, c := range []struct {
		profile   string
		heartbeat time.Duration
		delay     time.Duration
		onVideo   bool
	}{
		{"plain", 3 * time.Second, 0, false},
		{"gathered", 2 * time.Second, 100 * time.Millisecond, true},
	} {
		p := sc.Profiles[c.profile]
		pc := pushConfig(p, sc.Fleet[0], "rtmp://127.0.0.1:1935/live/x")
		if pc.Options.Heartbeat != c.heartbeat || pc.Options.FlushDelay != c.delay || pc.Options.FlushOnVideo != c.onVideo {
			t.Errorf("%s: heartbeat %v, flush delay %v, on video %v; want %v, %v, %v", c.profile,
				pc.Options.Heartbeat, pc.Options.FlushDelay, pc.Options.FlushOnVideo, c.heartbeat, c.delay, c.onVideo)
		}
	}
}
