package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes report.md, meant to be pasted into a ticket.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	esc := func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }

	p("## fleetsim %s — %s\n\n", esc(r.Scenario), verdict(r.Pass))
	p("seed %d · duration %s · %s devices planned, %s connected", r.Seed, fmtDuration(r.DurationMs), fmtInt(r.Devices.Planned), fmtInt(r.Devices.Connected))
	if r.Shards.Count > 1 {
		p(" · shards %d/%d", len(r.Shards.Present), r.Shards.Count)
	}
	if r.Interrupted {
		p(" · **interrupted**")
	}
	p("\n\n")
	if !r.Pass {
		p("**Failed:** %s\n\n", esc(strings.Join(r.FailReasons, "; ")))
	}
	for _, w := range r.Warnings {
		p("> ⚠ %s\n", esc(w))
	}
	if len(r.Warnings) > 0 {
		p("\n")
	}

	if len(r.Thresholds) > 0 {
		p("### Thresholds\n\n| | metric | condition | value |\n|---|---|---|---|\n")
		for _, t := range r.Thresholds {
			v := thresholdValue(t)
			if t.Note != "" && t.Value != nil {
				v += " (" + t.Note + ")"
			}
			p("| %s | `%s` | `%s` | %s |\n", verdict(t.OK), esc(t.Name), esc(t.Condition), esc(v))
		}
		p("\n")
	}

	f := r.Frames
	p("### Frames\n\n| sent | delivered | dropped (device) | lost (network) | rejected (cloud) | in flight | loss |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	p("| %s | %s | %s | %s | %s | %s | %s |\n\n", fmtInt(f.Sent), fmtInt(f.Delivered), fmtInt(f.DroppedDevice), fmtInt(f.LostNetwork), fmtInt(f.RejectedCloud), fmtInt(f.InFlight), fmtPct(f.LossRatio))
	for _, x := range []struct {
		name string
		m    map[string]int64
	}{{"dropped", f.DroppedByReason}, {"lost", f.LostByReason}, {"rejected", f.RejectedByReason}} {
		if s := fmtLabels(x.m); s != "" {
			p("- %s by reason: %s\n", x.name, esc(s))
		}
	}
	p("\n### Latency (ms)\n\n| metric | count | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, lr := range latencyRows(&r.Blocks) {
		s := lr.S
		p("| %s | %s | %s | %s | %s | %s | %s |\n", lr.Name, fmtInt(s.Count), fmtMs(s.P50), fmtMs(s.P90), fmtMs(s.P99), fmtMs(s.P999), fmtMs(s.Max))
	}
	p("\nPercentiles from HDR histograms with 3 significant digits (error < 0.1 %%).\n")

	e, s := r.Events, r.Slices
	p("\n### Funnels\n\n")
	p("- events: started %s → first frame %s → reported ok %s, failed %s, unreported %s\n", fmtInt(e.Started), fmtInt(e.FirstFrame), fmtInt(e.ReportedOK), fmtInt(e.ReportedFail), fmtInt(e.Unreported))
	p("- slices: cut %s → uploaded %s, failed %s → backfilled %s, expired %s; overwritten %s\n", fmtInt(s.Cut), fmtInt(s.Uploaded), fmtInt(s.Failed), fmtInt(s.Backfilled), fmtInt(s.Expired), fmtInt(s.Overwritten))
	if l := fmtLabels(s.FailedByReason); l != "" {
		p("- slice failures by reason: %s\n", esc(l))
	}
	c := r.Connections
	p("- connections: attempts %s, up %s, reconnects %s, failures %s", fmtInt(c.Attempts), fmtInt(c.Up), fmtInt(c.Reconnects), fmtInt(c.Failures))
	if l := fmtLabels(c.FailuresByStage); l != "" {
		p(" (%s)", esc(l))
	}
	p("\n- buffers: watermarks low %s, warn %s, high %s; push paused %s, resumed %s\n\n",
		fmtInt(r.Watermarks.Low), fmtInt(r.Watermarks.Warn), fmtInt(r.Watermarks.High), fmtInt(r.Push.Paused), fmtInt(r.Push.Resumed))

	if len(r.Groups) > 0 {
		p("### Groups\n\n| group | devices | sent | loss | ingest p50 | ingest p99 | events ok/fail | slices stored | reconnects |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, g := range r.Groups {
			p("| %s | %s/%s | %s | %s | %s | %s | %s/%s | %s | %s |\n", esc(g.Name), fmtInt(g.Devices.Connected), fmtInt(g.Devices.Planned),
				fmtInt(g.Frames.Sent), fmtPct(g.Frames.LossRatio), fmtMs(g.LatencyMs.Ingest.P50), fmtMs(g.LatencyMs.Ingest.P99),
				fmtInt(g.Events.ReportedOK), fmtInt(g.Events.ReportedFail), fmtPct(g.Slices.StoredRatio), fmtInt(g.Connections.Reconnects))
		}
		p("\n")
	}
	writeWorstMD(&b, "Worst devices by loss", r.WorstDevices.ByLoss)
	writeWorstMD(&b, "Worst devices by latency", r.WorstDevices.ByLatency)

	gen := r.Generator
	p("### Generator\n\nlag p50 %s ms, p99 %s ms, max %s ms (limit %s ms%s); cpu %.1f s%s; peak RSS %s\n",
		fmtMs(gen.LagMs.P50), fmtMs(gen.LagMs.P99), fmtMs(gen.LagMs.Max), fmtMs(&gen.LagLimitMs),
		map[bool]string{true: "", false: ", **exceeded: latency figures not trustworthy**"}[gen.Trustworthy], gen.CPUSeconds, onCores(gen.Procs), fmtBytes(gen.PeakRSSBytes))
	a := r.Accounting
	if a.OK {
		p("\nFrame accounting exact: sent = delivered + dropped + lost + rejected + in flight")
		if a.DevicesChecked {
			p(", per device")
		}
		p(".\n")
	} else {
		p("\n**Frame accounting broken:** %d double fates, %d devices with negative in-flight %v.\n", a.DoubleFates, a.NegativeInFlightDevices, a.NegativeInFlightSample)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeWorstMD(b *strings.Builder, title string, rows []DeviceRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s\n\n| device | group | sent | loss | lost | dropped | rejected | latency mean | latency max | reconnects |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", title)
	for _, d := range rows {
		mean, mx := d.LatencyMeanMs, d.LatencyMaxMs
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Device, strings.ReplaceAll(d.Group, "|", `\|`), fmtInt(d.Sent),
			fmtPct(&d.LossRatio), fmtInt(d.LostNetwork), fmtInt(d.DroppedDevice), fmtInt(d.RejectedCloud), fmtMs(&mean), fmtMs(&mx), fmtInt(d.Reconnects))
	}
	b.WriteString("\n")
}

// onCores says how many cores the generator used ("" when not measured).
func onCores(procs int) string {
	switch {
	case procs == 1:
		return " on 1 core"
	case procs > 1:
		return fmt.Sprintf(" on up to %d cores", procs)
	}
	return ""
}
