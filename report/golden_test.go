package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/results.jsonl and the golden files")

const goldenResults = "testdata/results.jsonl"

// goldenReport renders the fixed results file (regenerated with -update).
func goldenReport(t *testing.T) *Report {
	t.Helper()
	if *update {
		if err := os.MkdirAll("testdata/golden", 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		baseSynth().run(t, &buf)
		if err := os.WriteFile(goldenResults, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		// The same run with 2 % network loss: the regression fixture of
		// `fleetsim compare` tests.
		lossy := baseSynth()
		lossy.lossProb = 0.02
		buf.Reset()
		lossy.run(t, &buf)
		if err := os.WriteFile("testdata/results-lossy.jsonl", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := LoadResults(goldenResults)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGoldenWriters(t *testing.T) {
	r := goldenReport(t)
	writers := []struct {
		file  string
		write func(io.Writer, *Report) error
	}{
		{"report.json", WriteJSON},
		{"report.md", WriteMarkdown},
		{"report.html", WriteHTML},
		{"junit.xml", WriteJUnit},
		{"terminal.txt", func(w io.Writer, r *Report) error { return WriteTerminal(w, r, TerminalOptions{}) }},
		{"terminal-color.txt", func(w io.Writer, r *Report) error { return WriteTerminal(w, r, TerminalOptions{Color: true}) }},
	}
	for _, w := range writers {
		t.Run(w.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := w.write(&buf, r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata/golden", w.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if d := cmp.Diff(string(want), buf.String()); d != "" {
				t.Errorf("%s differs from golden (-want +got); go test -update refreshes it:\n%s", w.file, d)
			}
		})
	}
}

// The terminal summary fits one screen.
func TestTerminalFitsOneScreen(t *testing.T) {
	r := goldenReport(t)
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, r, TerminalOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimRight(buf.Bytes(), "\n"), []byte("\n"))
	if len(lines) > 40 {
		t.Errorf("%d lines, want at most 40", len(lines))
	}
	for _, l := range lines {
		if n := len([]rune(string(l))); n > 120 {
			t.Errorf("line of %d columns: %s", n, l)
		}
	}
}

// report.json read back gives the same report, and WriteDir writes all files.
func TestWriteDirAndReadJSON(t *testing.T) {
	r := goldenReport(t)
	dir := t.TempDir()
	if err := WriteDir(dir, r); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileJSON, FileMarkdown, FileHTML, FileJUnit} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	fh, err := os.Open(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	back, err := ReadJSON(fh)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(mustJSON(t, r), mustJSON(t, back)); d != "" {
		t.Errorf("report.json round trip (-want +got):\n%s", d)
	}
}

// The comparison table of the fixture against the same run with added loss.
func TestGoldenComparison(t *testing.T) {
	base := goldenReport(t)
	lossy, err := LoadResults("testdata/results-lossy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteComparison(&buf, Compare(base, lossy, DefaultCompareOptions())); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata/golden", "compare.txt")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Errorf("compare.txt differs from golden (-want +got):\n%s", d)
	}
}

// report.json has every key of DESIGN.md §6.
func TestReportJSONHasDesignKeys(t *testing.T) {
	r := goldenReport(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	has := func(root map[string]any, path string) bool {
		cur := any(root)
		for _, p := range strings.Split(path, ".") {
			obj, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = obj[p]; !ok {
				return false
			}
		}
		return true
	}
	var keys []string
	keys = append(keys, "schema_version", "scenario", "seed", "pass", "interrupted",
		"devices.planned", "devices.connected",
		"frames.sent", "frames.delivered", "frames.dropped_device", "frames.lost_network", "frames.rejected_cloud", "frames.in_flight", "frames.loss_ratio",
		"events.started", "events.reported_ok", "events.reported_fail",
		"slices.cut", "slices.uploaded", "slices.failed", "slices.backfilled", "slices.expired", "slices.overwritten",
		"watermarks.low", "watermarks.warn", "watermarks.high", "push.paused", "push.resumed",
		"connections.attempts", "connections.reconnects", "connections.failures_by_stage",
		"generator.lag_ms.p50", "generator.lag_ms.p99", "generator.lag_ms.max", "generator.cpu_seconds", "generator.peak_rss_bytes")
	for _, l := range []string{"ingest", "event_first_frame", "slice_upload"} {
		for _, f := range []string{"count", "p50", "p90", "p99", "p999", "max"} {
			keys = append(keys, "latency_ms."+l+"."+f)
		}
	}
	for _, k := range keys {
		if !has(m, k) {
			t.Errorf("report.json lacks %s", k)
		}
	}
	ths, _ := m["thresholds"].([]any)
	if len(ths) == 0 {
		t.Fatal("no thresholds[]")
	}
	for _, th := range ths {
		for _, k := range []string{"name", "condition", "value", "ok"} {
			if !has(th.(map[string]any), k) {
				t.Errorf("thresholds[] lacks %s", k)
			}
		}
	}
	groups, _ := m["groups"].([]any)
	if len(groups) != 2 {
		t.Fatalf("groups[]: %d", len(groups))
	}
	for _, g := range groups {
		for _, k := range keys[5:31] { // the same blocks per group
			if !has(g.(map[string]any), k) {
				t.Errorf("groups[] lacks %s", k)
			}
		}
	}
}

// A CDF chart keeps to the 8 groups with most samples, and says so.
func TestCDFChartCapsGroups(t *testing.T) {
	r := &Report{Distributions: map[string]map[string][]int64{"ingest": {}}}
	for i := 0; i < 12; i++ {
		name := "g" + strconv.Itoa(i)
		r.Groups = append(r.Groups, GroupReport{Name: name})
		r.Distributions["ingest"][name] = []int64{1000, int64(i + 1), 2000, 1}
	}
	svg := string(cdfCharts(r)[0].SVG)
	if n := strings.Count(svg, `class="series"`); n != 8 {
		t.Errorf("%d lines, want 8", n)
	}
	if !strings.Contains(svg, "the 8 largest of 12 groups") || strings.Contains(svg, "<title>g0</title>") || !strings.Contains(svg, "<title>g11</title>") {
		t.Errorf("wrong groups kept:\n%s", svg)
	}
}
