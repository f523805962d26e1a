package main

import (
	"strings"
	"testing"
	"time"
)

func TestTargetLines(t *testing.T) {
	rs := []result{
		{Tool: "fleetsim", Target: "embedded cloud", Cameras: 1000, LagP99: 5 * time.Millisecond, PeakRSS: 250 << 20},
		{Tool: "fleetsim", Target: "embedded cloud", Cameras: 5000, LagP99: 80 * time.Millisecond, PeakRSS: 1 << 30, Failed: 3},
		{Tool: "fleetsim", Target: "nginx-rtmp", Cameras: 200, Elapsed: time.Second, CPU: 100 * time.Millisecond},
		{Tool: "ffmpeg per camera", Target: "nginx-rtmp", Cameras: 200, Elapsed: time.Second, CPU: 800 * time.Millisecond},
		{Tool: "fleetsim", Target: "nginx-rtmp", Cameras: 50, Skipped: "no nginx"},
	}
	got := targetLines(rs)
	want := []string{
		"fleetsim, 1000 cameras: lag p99 5.0 ms ✓, 0 frames lost ✓, peak RSS 256 KB per camera ✓ — met",
		"fleetsim, 5000 cameras: lag p99 80.0 ms ✗, 3 frames lost ✗, peak RSS 210 KB per camera ✓ — not met",
		"fleetsim, 200 cameras vs nginx-rtmp: ffmpeg/fleetsim CPU 8.0× ✗ — not met",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A row measured while the hypervisor stole CPU says so in its target line.
func TestTargetLinesSteal(t *testing.T) {
	row := func(steal float64) result {
		return result{Tool: "fleetsim", Target: "embedded cloud", Cameras: 1000, Elapsed: time.Second,
			CPU: time.Second, LagP99: 2 * time.Millisecond, Sent: 10, PeakRSS: 100 << 20, Steal: steal}
	}
	for _, c := range []struct {
		steal  float64
		caveat bool
	}{{-1, false}, {0, false}, {0.05, false}, {0.29, true}} {
		lines := targetLines([]result{row(c.steal)})
		if len(lines) != 1 {
			t.Fatalf("%d lines", len(lines))
		}
		if got := strings.Contains(lines[0], "host steal 29 %"); got != c.caveat {
			t.Errorf("steal %.2f: %q, caveat %v want %v", c.steal, lines[0], got, c.caveat)
		}
	}
}
