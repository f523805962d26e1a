package scenarios

import (
	"flag"
	"math/rand/v2"
	"strings"
)

var update = flag.Bool("update", false, "rewrite golden files and the committed fuzz corpus")

// testMetrics stands in for report.KnownMetric (the CLI tests use the real
// one): the report keys of DESIGN.md §6 and the derived ones the library
// uses, alone or below groups.NAME.
var testMetrics = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`
		devices.planned devices.connected devices.connected_ratio
		frames.sent frames.delivered frames.dropped_device frames.lost_network frames.rejected_cloud frames.in_flight
		frames.loss_ratio frames.delivered_ratio
		events.started events.reported_ok events.reported_fail events.report_fail_ratio
		slices.cut slices.uploaded slices.failed slices.backfilled slices.expired slices.overwritten slices.stored_ratio
		watermarks.low watermarks.warn watermarks.high push.paused push.resumed
		connections.attempts connections.reconnects connections.failure_ratio
		live_view.loss_ratio accounting.ok
		generator.lag_ms.p50 generator.lag_ms.p99 generator.lag_ms.max generator.cpu_seconds generator.peak_rss_bytes`) {
		testMetrics[k] = true
	}
	for _, h := range []string{"ingest", "event_first_frame", "slice_upload"} {
		for _, q := range []string{"count", "p50", "p90", "p99", "p999", "max"} {
			testMetrics["latency_ms."+h+"."+q] = true
		}
	}
	for _, q := range []string{"p50", "p99", "max"} {
		testMetrics["live_view.jitter_ms."+q] = true
	}
}

func knownTestMetric(name string) bool {
	if testMetrics[name] {
		return true
	}
	for _, p := range []string{"frames.dropped_by_reason.", "frames.lost_by_reason.", "frames.rejected_by_reason.", "groups."} {
		if rest, ok := strings.CutPrefix(name, p); ok && p != "groups." && rest != "" && !strings.Contains(rest, ".") {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(name, "groups."); ok {
		if _, key, ok := strings.Cut(rest, "."); ok && !strings.HasPrefix(key, "groups.") {
			return knownTestMetric(key)
		}
	}
	return false
}

func testOptions() Options { return Options{KnownMetric: knownTestMetric} }

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }
