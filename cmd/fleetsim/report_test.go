package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	fixtureResults = "../../report/testdata/results.jsonl"
	fixtureLossy   = "../../report/testdata/results-lossy.jsonl"
)

func TestReportRendersFromResults(t *testing.T) {
	dir := t.TempDir()
	// The fixture run fails two of its thresholds: exit 99, all files written.
	code, out, errs := runCLI(t, "report", fixtureResults, "--out", dir)
	if code != exitThreshold {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitThreshold, errs)
	}
	if !strings.Contains(out, "FAIL  frames.loss_ratio < 0.1%") || !strings.Contains(out, "verdict: FAIL") {
		t.Errorf("summary:\n%s", out)
	}
	for _, f := range []string{"report.json", "report.md", "report.html", "junit.xml"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Pass   bool `json:"pass"`
		Frames struct {
			Sent int64 `json:"sent"`
		} `json:"frames"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Pass || r.Frames.Sent == 0 {
		t.Errorf("report.json: %v %+v", err, r)
	}
}

func TestReportBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"type\":\"window\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"report"},
		{"report", "does-not-exist.jsonl"},
		{"report", bad},
		{"report", "--nope", fixtureResults},
	} {
		if code, _, _ := runCLI(t, args...); code != exitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadInput)
		}
	}
}

func TestCompareSelfAndAddedLoss(t *testing.T) {
	// A run against itself: no regression, exit 0.
	code, out, errs := runCLI(t, "compare", fixtureResults, fixtureResults)
	if code != exitPass || !strings.Contains(out, "no regression") {
		t.Fatalf("self: exit %d\n%s\n%s", code, out, errs)
	}
	// Against the same run with added loss: exit 99 naming the metric.
	code, out, errs = runCLI(t, "compare", fixtureResults, fixtureLossy)
	if code != exitThreshold || !strings.Contains(errs, "regression: frames.loss_ratio") || !strings.Contains(out, "REGRESSION frames.loss_ratio") {
		t.Fatalf("lossy: exit %d\n%s\n%s", code, out, errs)
	}
	// A tolerance that admits the loss passes; report directories work too.
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "report", fixtureLossy, "--out", dir, "--quiet"); code != exitThreshold {
		t.Fatalf("report lossy: %d %s", code, errs)
	}
	code, out, errs = runCLI(t, "compare", fixtureResults, dir,
		"--tolerance", "frames.loss_ratio=+5%",
		"--tolerance", "groups.living-rooms.frames.loss_ratio=+5%",
		"--tolerance", "groups.shops.frames.loss_ratio=+5%")
	if code != exitPass {
		t.Fatalf("tolerated: exit %d\n%s\n%s", code, out, errs)
	}
	// JSON output.
	code, out, _ = runCLI(t, "compare", "--json", fixtureResults, fixtureLossy)
	var c struct {
		Regressions []string `json:"regressions"`
	}
	if code != exitThreshold || json.Unmarshal([]byte(out), &c) != nil || len(c.Regressions) == 0 {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
}

func TestCompareBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"compare", fixtureResults},
		{"compare", fixtureResults, "nope"},
		{"compare", fixtureResults, fixtureResults, "--tolerance", "ten"},
		{"compare", fixtureResults, fixtureResults, "--tolerance", "no.such.metric=5%"},
		{"compare", fixtureResults, fixtureResults, "--alpha", "2"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadInput)
		}
	}
}
