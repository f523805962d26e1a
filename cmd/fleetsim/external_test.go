package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

const nginxScenario = "../../scenarios/rtmp-nginx-loopback.yaml"

// TestExternalNginxTarget: `fleetsim run` of the library's external-target
// scenario, shortened, against nginx-rtmp started by the test, with the
// scenario's own probe share: it prints the target and device count
// before starting, says the unprobed devices' frames stay in flight, and
// meets the scenario's thresholds (exit 0). The exact frame-count evidence
// is sim/runner TestExternalNginxEvidence.
func TestExternalNginxTarget(t *testing.T) {
	testpeer.Require(t, "nginx")
	ngx := testpeer.StartNginxRTMP(t, testpeer.NginxOptions{App: "live", Quiet: true})
	url := "rtmp://" + ngx.Addr + "/live/{device}"
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", nginxScenario, "--duration", "15s", "--set", "target.url="+url,
		"--out", out, "--progress", "off", "--grace", "5s")
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"20 devices (shard 0/1 of 20 planned) against the RTMP target " + url,
		"2 of 20 devices played back by probes",
		"the frames of the 18 unprobed devices stay in flight",
		"verdict: PASS",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
		t.Fatal(err)
	}
}

// TestExternalTargetBadInput: what the loader refuses before any
// connection is a bad-input exit (2): an auth key variable that is unset,
// a remote host without allow_remote.
func TestExternalTargetBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want string
	}{
		{"key unset", []string{"target.auth.scheme=kingsoft", "target.auth.key_env=FLEETSIM_TEST_UNSET_KEY"}, "FLEETSIM_TEST_UNSET_KEY"},
		{"remote", []string{"target.url=rtmp://192.0.2.10:1935/live/{device}"}, "allow_remote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"run", nginxScenario, "--out", t.TempDir(), "--progress", "off"}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitBadInput || !strings.Contains(stdout+stderr, tc.want) {
				t.Fatalf("exit %d, want %d mentioning %q\n%s\n%s", code, exitBadInput, tc.want, stdout, stderr)
			}
		})
	}
}
