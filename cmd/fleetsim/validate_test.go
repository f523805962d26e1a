package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every library scenario validates with the real report metrics.
func TestValidateLibrary(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) < 9 {
		t.Fatalf("%d scenarios", len(files))
	}
	code, out, errs := runCLI(t, append([]string{"validate"}, files...)...)
	if code != exitPass {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, f := range files {
		if !strings.Contains(out, "ok "+f+": ") {
			t.Errorf("no ok line for %s in\n%s", f, out)
		}
	}
}

var problemLine = regexp.MustCompile(`^(testdata|\.\./\.\./testdata)/scenarios/bad/[a-z0-9/-]+\.yaml:\d+:\d+: .*expected`)

// The bad catalogue fails with exit 2, every problem as FILE:LINE:COL.
func TestValidateCatalogue(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/scenarios/bad/*.yaml")
	code, out, errs := runCLI(t, append([]string{"validate"}, files...)...)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
	if out != "" {
		t.Errorf("ok lines for bad files: %s", out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	summary := lines[len(lines)-1]
	if !strings.Contains(summary, "in "+itoa(len(files))+" of "+itoa(len(files))+" file(s)") {
		t.Errorf("summary %q", summary)
	}
	for _, l := range lines[:len(lines)-1] {
		if !problemLine.MatchString(l) {
			t.Errorf("not FILE:LINE:COL: …expected…: %q", l)
		}
	}
	for _, f := range files {
		if !strings.Contains(errs, f+":") {
			t.Errorf("no problem reported for %s", f)
		}
	}
}

func TestValidateFlags(t *testing.T) {
	q := "../../scenarios/quickstart.yaml"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout for exit 0, in stderr otherwise
	}{
		{"devices", []string{"--devices", "10", q}, exitPass, "10 devices in 1 groups"},
		{"flags after the file", []string{q, "--devices", "12"}, exitPass, "12 devices in 1 groups"},
		{"duration and seed", []string{"--duration", "15s", "--seed", "9", q}, exitPass, "15s, seed 9"},
		{"set", []string{"--set", "fleet.homes.count=25", q}, exitPass, "25 devices"},
		{"set problem", []string{"--set", "fleet.homes.count=-1", q}, exitBadInput, "--set fleet.homes.count=-1: fleet.0.count: found -1"},
		{"threshold unit", []string{"--set", "thresholds.latency_ms.ingest.p99=< 5%", q}, exitBadInput, "expected a condition in the metric's unit"},
		{"unknown metric", []string{"--set", "thresholds.frames.lost=> 0", q}, exitBadInput, `found unknown report key "frames.lost"`},
		{"remote", []string{"--set", "target={kind: rtmp, url: 'rtmp://203.0.113.9/live/{device}'}", "--set", "profiles.sub-stream.sdk={kind: rtmp-push}", q}, exitBadInput, "outside loopback; expected allow_remote: true"},
		{"remote allowed", []string{"--set", "target={kind: rtmp, url: 'rtmp://203.0.113.9/live/{device}'}", "--set", "allow_remote=true", "--set", "profiles.sub-stream.sdk={kind: rtmp-push}", q}, exitPass, "target rtmp rtmp://203.0.113.9/live/{device}"},
		{"missing file", []string{"no-such.yaml"}, exitBadInput, "no-such.yaml: open no-such.yaml"},
		{"no files", nil, exitBadInput, "usage: fleetsim validate"},
		{"bad flag", []string{"--frobnicate", q}, exitBadInput, "flag provided but not defined"},
		{"negative devices", []string{"--devices", "-3", q}, exitBadInput, "expected a positive count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"validate"}, tc.args...)...)
			got := errs
			if tc.code == exitPass {
				got = out
			}
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d (want %d)\nstdout %s\nstderr %s\nwant %q", code, tc.code, out, errs, tc.want)
			}
		})
	}
}

func TestSchemaCommand(t *testing.T) {
	code, out, _ := runCLI(t, "schema")
	if code != exitPass {
		t.Fatalf("exit %d", code)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" || s["properties"] == nil {
		t.Errorf("not a 2020-12 schema: %v", s["$schema"])
	}
	committed, err := os.ReadFile("../../testdata/scenarios/scenario.schema.json")
	if err != nil || string(committed) != out {
		t.Errorf("output differs from the committed testdata/scenarios/scenario.schema.json (%v)", err)
	}
	if code, _, _ := runCLI(t, "schema", "extra"); code != exitBadInput {
		t.Errorf("schema with an argument: exit %d", code)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
