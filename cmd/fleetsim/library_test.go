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
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "run", f, "--duration", "20s", "--devices", devices, "--out", out, "--progress", "off", "--grace", "5s")
			if code != exitPass {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
				t.Fatal(err)
			}
		})
	}
}
