package report

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// thresholdVectors drive the parse tests, the evaluation tests and the fuzz
// seeds of FuzzParseThreshold.
var thresholdVectors = []struct {
	metric, cond string
	ok           bool
	canon        string
	op           string
	value        float64
}{
	{"latency_ms.ingest.p99", "< 1500ms", true, "latency_ms.ingest.p99", "<", 1500},
	{"latency.ingest.p99", "<1.5s", true, "latency_ms.ingest.p99", "<", 1500},
	{"latency_ms.slice_upload.max", "<= 2500", true, "latency_ms.slice_upload.max", "<=", 2500},
	{"latency_ms.ingest.count", "> 1000", true, "latency_ms.ingest.count", ">", 1000},
	{"frames.loss_ratio", "< 0.1%", true, "frames.loss_ratio", "<", 0.001},
	{"frames.loss_ratio", "<= 0.002", true, "frames.loss_ratio", "<=", 0.002},
	{"frames.sent", ">= 1000", true, "frames.sent", ">=", 1000},
	{"frames.in_flight", "== 0", true, "frames.in_flight", "==", 0},
	{"devices.connected", "!= 0", true, "devices.connected", "!=", 0},
	{"generator.peak_rss_bytes", "< 1.5GiB", true, "generator.peak_rss_bytes", "<", 1.5 * 1024 * 1024 * 1024},
	{"generator.cpu_seconds", "< 30s", true, "generator.cpu_seconds", "<", 30},
	{"generator.cpu_seconds", "< 2m", true, "generator.cpu_seconds", "<", 120},
	{"generator.lag_ms.p99", "< 10ms", true, "generator.lag_ms.p99", "<", 10},
	{"groups.living-rooms.frames.loss_ratio", "< 1%", true, "groups.living-rooms.frames.loss_ratio", "<", 0.01},
	{"groups.shops.latency.ingest.p50", "< 150ms", true, "groups.shops.latency_ms.ingest.p50", "<", 150},
	{"frames.dropped_by_reason.buffer_full", "== 0", true, "frames.dropped_by_reason.buffer_full", "==", 0},
	{"connections.failures_by_stage.dns", "< 5", true, "connections.failures_by_stage.dns", "<", 5},
	{"events.report_fail_ratio", "<= 10%", true, "events.report_fail_ratio", "<=", 0.1},
	{"accounting.double_fates", "== 0", true, "accounting.double_fates", "==", 0},

	{"latency_ms.ingest.p98", "< 1s", false, "", "", 0},
	{"frames.nope", "< 1", false, "", "", 0},
	{"groups..frames.sent", "< 1", false, "", "", 0},
	{"groups.x", "< 1", false, "", "", 0},
	{"pass", "== 1", false, "", "", 0},
	{"timeline.0.sent", "< 1", false, "", "", 0},
	{"frames.dropped_by_reason.a.b", "< 1", false, "", "", 0},
	{"latency_ms.ingest.p99", "1500ms", false, "", "", 0},
	{"latency_ms.ingest.p99", "< ", false, "", "", 0},
	{"latency_ms.ingest.p99", "<< 5", false, "", "", 0},
	{"latency_ms.ingest.p99", "< 5 apples", false, "", "", 0},
	{"latency_ms.ingest.p99", "< NaN", false, "", "", 0},
	{"latency_ms.ingest.p99", "< 1e309", false, "", "", 0},
	{"frames.loss_ratio", "< 150%", false, "", "", 0},
	{"frames.loss_ratio", "< 2", false, "", "", 0},
	{"frames.sent", "< 5ms", false, "", "", 0},
	{"", "< 1", false, "", "", 0},
}

func TestParseThresholdVectors(t *testing.T) {
	for _, v := range thresholdVectors {
		th, err := ParseThreshold(v.metric, v.cond)
		if (err == nil) != v.ok {
			t.Errorf("ParseThreshold(%q, %q) error %v, want ok=%v", v.metric, v.cond, err, v.ok)
			continue
		}
		if err != nil {
			continue
		}
		if th.Name != v.canon || th.op != v.op || math.Abs(th.value-v.value) > 1e-9*math.Max(1, v.value) {
			t.Errorf("ParseThreshold(%q, %q) = %q %s %v, want %q %s %v", v.metric, v.cond, th.Name, th.op, th.value, v.canon, v.op, v.value)
		}
		if !KnownMetric(v.metric) || !KnownMetric(th.Name) {
			t.Errorf("KnownMetric(%q) false for a valid threshold", v.metric)
		}
	}
}

func TestKnownMetricCoversDesignKeys(t *testing.T) {
	// DESIGN.md §6 keys a scenario may put a threshold on.
	for _, k := range []string{
		"devices.planned", "devices.connected",
		"frames.sent", "frames.delivered", "frames.dropped_device", "frames.lost_network", "frames.rejected_cloud", "frames.in_flight",
		"latency_ms.ingest.count", "latency_ms.ingest.p50", "latency_ms.ingest.p90", "latency_ms.ingest.p99", "latency_ms.ingest.p999", "latency_ms.ingest.max",
		"latency_ms.event_first_frame.p99", "latency_ms.slice_upload.p99",
		"events.started", "events.reported_ok", "events.reported_fail",
		"slices.cut", "slices.uploaded", "slices.failed", "slices.backfilled", "slices.expired", "slices.overwritten",
		"watermarks.low", "watermarks.warn", "watermarks.high", "push.paused", "push.resumed",
		"connections.attempts", "connections.reconnects",
		"generator.lag_ms.p50", "generator.lag_ms.p99", "generator.lag_ms.max", "generator.cpu_seconds", "generator.peak_rss_bytes",
		"frames.loss_ratio",
	} {
		if !KnownMetric(k) {
			t.Errorf("KnownMetric(%q) = false", k)
		}
	}
}

// Thresholds evaluated against the golden report: the values are the
// report's, and a metric without data fails.
func TestEvaluateAgainstReport(t *testing.T) {
	r := goldenReport(t)
	vals := r.values()
	tests := []struct {
		metric, cond string
		ok           bool
		note         string
	}{
		{"latency_ms.ingest.p99", "< 1500ms", true, ""},
		{"latency_ms.ingest.p99", "< 100ms", false, ""},
		{"frames.loss_ratio", "< 0.1%", false, ""},
		{"frames.loss_ratio", "< 1%", true, ""},
		{"frames.dropped_by_reason.never_seen", "== 0", true, ""},
		{"groups.nosuchgroup.frames.sent", "> 0", false, "no data"},
		{"live_view.jitter_ms.p99", "< 5ms", false, "no data"},
		{"slices.overwritten", "== 0", true, ""},
		{"generator.trustworthy", "== 1", true, ""},
	}
	for _, tc := range tests {
		res := evaluate(tc.metric, tc.cond, vals)
		if res.OK != tc.ok || res.Note != tc.note {
			t.Errorf("%s %s: ok %v note %q value %v, want ok %v note %q", tc.metric, tc.cond, res.OK, res.Note, res.Value, tc.ok, tc.note)
		}
	}
	if v, ok := r.Value("latency.ingest.p99"); !ok || v != *r.LatencyMs.Ingest.P99 {
		t.Errorf("Value(latency.ingest.p99) = %v %v", v, ok)
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, v := range thresholdVectors {
		f.Add(v.metric, v.cond)
	}
	f.Fuzz(func(t *testing.T, metric, cond string) {
		th, err := ParseThreshold(metric, cond)
		if err != nil {
			return
		}
		again, err := ParseThreshold(th.Name, th.Condition)
		if err != nil || again.op != th.op || again.value != th.value || again.Name != th.Name {
			t.Fatalf("re-parse of %q %q: %+v, %v (first %+v)", th.Name, th.Condition, again, err, th)
		}
		if math.IsNaN(th.value) || math.IsInf(th.value, 0) {
			t.Fatalf("non-finite value from %q", cond)
		}
	})
}

// writeCorpus writes seeds as committed corpus files (go test -update).
func writeCorpus(t *testing.T, fuzz string, entries [][]string) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", fuzz)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		body := "go test fuzz v1\n"
		for _, s := range e {
			body += e0(s)
		}
		if err := os.WriteFile(filepath.Join(dir, "seed-"+strconv.Itoa(i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteThresholdCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the committed fuzz corpus")
	}
	var entries [][]string
	for _, v := range thresholdVectors {
		entries = append(entries, []string{"string:" + v.metric, "string:" + v.cond})
	}
	writeCorpus(t, "FuzzParseThreshold", entries)
}

// e0 encodes one corpus value line: "string:x" → string("x"), "bytes:x" → []byte("x").
func e0(s string) string {
	switch {
	case len(s) >= 7 && s[:7] == "string:":
		return "string(" + strconv.Quote(s[7:]) + ")\n"
	case len(s) >= 6 && s[:6] == "bytes:":
		return "[]byte(" + strconv.Quote(s[6:]) + ")\n"
	}
	panic("bad corpus entry " + s)
}
