package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestProbed: the probe summary and the per-device totals give
// delivered/sent over the probed devices only, and a run without probes
// says so instead of 0.
func TestProbed(t *testing.T) {
	jsonl := `{"type":"run","planned":4}
{"type":"device","device":0,"sent":100,"delivered":0,"dropped_device":2,"lost_network":0,"rejected_cloud":0,"in_flight":98}
{"type":"device","device":1,"sent":120,"delivered":110,"dropped_device":3,"dropped_by_policy":1,"lost_network":3,"rejected_cloud":1,"in_flight":4}
{"type":"device","device":2,"sent":90,"delivered":90,"dropped_device":0,"lost_network":0,"rejected_cloud":0,"in_flight":0}
{"type":"device","device":3,"sent":80,"delivered":0,"dropped_device":0,"lost_network":0,"rejected_cloud":0,"in_flight":80}
{"type":"end"}
`
	path := filepath.Join(t.TempDir(), "results.jsonl")
	if err := os.WriteFile(path, []byte(jsonl), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		logs string
		ok   bool
		want string
	}{
		{"probed", "x\nfleetsim: probes: 2 of 4 devices played back (2 plays, 0 failed to start): 200 frames delivered\n", true,
			"200 / 210 (2 probed devices)"},
		{"a probe saw nothing", "fleetsim: probes: 3 of 4 devices played back (3 plays, 1 failed to start)\n", true,
			"200 / 210 (2 probed devices), 1 probed without fates"},
		{"no probes", "fleetsim: probes: 0 of 4 devices played back (0 plays, 0 failed to start)\n", true, "not probed"},
		{"embedded cloud", "fleetsim: run done\n", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := probedDevices([]byte(tc.logs))
			if ok != tc.ok {
				t.Fatalf("summary found %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			p, err := readProbed(path, k)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != tc.want {
				t.Errorf("cell %q, want %q", got, tc.want)
			}
			// device 1: 3 dropped (1 by policy, not loss) + 3 lost + 1 rejected
			if k > 0 && (p.Failed != 6 || p.ByPolicy != 1) {
				t.Errorf("failed %d, by policy %d over the probed devices, want 6 and 1", p.Failed, p.ByPolicy)
			}
		})
	}
}
