package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// TestScenarioLibraryRuns runs every ready scenario through the CLI,
// shortened with --duration and scaled with --devices, and requires exit 0:
// each meets its own thresholds.
func TestScenarioLibraryRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every scenario for 20 s")
	}
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("scenario library: %v, %d files", err, len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			sc, err := scenarios.LoadFile(f, scenarios.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if sc.Target.Kind != scenarios.TargetEmbedded {
				t.Skip("external targets run in TestExternalNginxTarget")
			}
			devices := "40"
			if sc.Devices() < 40 {
				devices = "0"
			}
			// A run whose own report says the simulator could not keep its
			// schedule (generator lag over the limit: a starved machine,
			// such as CI running other packages' tests beside it) has
			// untrustworthy latency figures, so a failed latency threshold
			// may be the machine's: such a run gets up to three attempts.
			// Any other failure fails at once.
			var out string
			for attempt := 1; ; attempt++ {
				out = t.TempDir()
				code, stdout, stderr := runCLI(t, "run", f, "--duration", "20s", "--devices", devices, "--out", out, "--progress", "off", "--grace", "5s")
				if code == exitPass {
					break
				}
				if attempt < 3 && !trustworthy(t, out) {
					t.Logf("attempt %d: exit %d with generator lag over its limit (the machine was starved); again", attempt, code)
					continue
				}
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// trustworthy reads generator.trustworthy from the report in dir (true
// when there is none: nothing to excuse a failure).
func trustworthy(t *testing.T, dir string) bool {
	t.Helper()
	r, err := loadReport(dir)
	return err != nil || r.Generator.Trustworthy
}
