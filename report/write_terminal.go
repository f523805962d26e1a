package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// TerminalOptions tune the terminal summary.
type TerminalOptions struct {
	// Color marks PASS green and FAIL red with ANSI escapes.
	Color bool
}

// WriteTerminal writes the summary a run prints at its end: one screen
// (about 30 lines, 100 columns), thresholds marked PASS/FAIL.
func WriteTerminal(w io.Writer, r *Report, opt TerminalOptions) error {
	mark := func(ok bool) string {
		v := verdict(ok)
		if !opt.Color {
			return v
		}
		if ok {
			return "\x1b[0;32m" + v + "\x1b[0m"
		}
		return "\x1b[1;31m" + v + "\x1b[0m"
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	shards := ""
	if r.Shards.Count > 1 {
		shards = fmt.Sprintf("  shards %d/%d", len(r.Shards.Present), r.Shards.Count)
	}
	interrupted := ""
	if r.Interrupted {
		interrupted = "  (interrupted)"
	}
	p("fleetsim %s  seed %d  %s  %s%s%s\n", r.Scenario, r.Seed, mark(r.Pass), fmtDuration(r.DurationMs), shards, interrupted)
	p("devices  %s planned, %s started, %s connected (peak %s at once)\n",
		fmtInt(r.Devices.Planned), fmtInt(r.Devices.Started), fmtInt(r.Devices.Connected), fmtInt(r.Devices.PeakConnected))
	f := r.Frames
	p("frames   sent %s  delivered %s (%s)  dropped %s  lost %s  rejected %s  in flight %s  loss %s\n",
		fmtInt(f.Sent), fmtInt(f.Delivered), fmtPct(f.DeliveredRatio), fmtInt(f.DroppedDevice), fmtInt(f.LostNetwork),
		fmtInt(f.RejectedCloud), fmtInt(f.InFlight), fmtPct(f.LossRatio))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "latency ms\tcount\tp50\tp90\tp99\tp99.9\tmax\t\n")
	for _, lr := range latencyRows(&r.Blocks) {
		s := lr.S
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", lr.Name, fmtInt(s.Count), fmtMs(s.P50), fmtMs(s.P90), fmtMs(s.P99), fmtMs(s.P999), fmtMs(s.Max))
	}
	tw.Flush()

	e, s := r.Events, r.Slices
	p("events   started %s → first frame %s → reported ok %s, failed %s, unreported %s\n",
		fmtInt(e.Started), fmtInt(e.FirstFrame), fmtInt(e.ReportedOK), fmtInt(e.ReportedFail), fmtInt(e.Unreported))
	p("slices   cut %s → uploaded %s, failed %s → backfilled %s, expired %s; overwritten %s\n",
		fmtInt(s.Cut), fmtInt(s.Uploaded), fmtInt(s.Failed), fmtInt(s.Backfilled), fmtInt(s.Expired), fmtInt(s.Overwritten))
	c := r.Connections
	stages := fmtLabels(c.FailuresByStage)
	if stages != "" {
		stages = " (" + stages + ")"
	}
	p("conns    attempts %s  up %s  reconnects %s  failures %s%s\n", fmtInt(c.Attempts), fmtInt(c.Up), fmtInt(c.Reconnects), fmtInt(c.Failures), stages)
	p("buffers  watermarks low %s warn %s high %s  push paused %s resumed %s\n",
		fmtInt(r.Watermarks.Low), fmtInt(r.Watermarks.Warn), fmtInt(r.Watermarks.High), fmtInt(r.Push.Paused), fmtInt(r.Push.Resumed))

	if len(r.Groups) > 0 {
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "group\tdevices\tsent\tloss\tp50 ms\tp99 ms\tevents ok/fail\tslices stored\n")
		const maxGroupRows = 8
		for i, g := range r.Groups {
			if i == maxGroupRows {
				fmt.Fprintf(tw, "… %d more groups in report.md\n", len(r.Groups)-maxGroupRows)
				break
			}
			fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s\t%s\t%s/%s\t%s\n", g.Name, fmtInt(g.Devices.Connected), fmtInt(g.Devices.Planned),
				fmtInt(g.Frames.Sent), fmtPct(g.Frames.LossRatio), fmtMs(g.LatencyMs.Ingest.P50), fmtMs(g.LatencyMs.Ingest.P99),
				fmtInt(g.Events.ReportedOK), fmtInt(g.Events.ReportedFail), fmtPct(g.Slices.StoredRatio))
		}
		tw.Flush()
	}
	gen := r.Generator
	trust := ""
	if !gen.Trustworthy {
		trust = "  ← over the limit: latency figures not trustworthy"
	}
	p("generator lag p50 %s ms, p99 %s ms, max %s ms  cpu %.1f s%s  peak rss %s%s\n",
		fmtMs(gen.LagMs.P50), fmtMs(gen.LagMs.P99), fmtMs(gen.LagMs.Max), gen.CPUSeconds, onCores(gen.Procs), fmtBytes(gen.PeakRSSBytes), trust)
	if !r.Accounting.OK {
		p("ACCOUNTING BROKEN: %d double fates, %d devices with negative in-flight (e.g. %v)\n",
			r.Accounting.DoubleFates, r.Accounting.NegativeInFlightDevices, r.Accounting.NegativeInFlightSample)
	}
	if len(r.Thresholds) > 0 {
		p("thresholds\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, t := range r.Thresholds {
			note := ""
			if t.Note != "" && t.Value != nil {
				note = "  " + t.Note
			}
			fmt.Fprintf(tw, "  %s\t%s %s\t%s%s\n", mark(t.OK), t.Name, t.Condition, thresholdValue(t), note)
		}
		tw.Flush()
	}
	for _, w := range r.Warnings {
		p("warning: %s\n", w)
	}
	if r.Pass {
		p("verdict: %s\n", mark(true))
	} else {
		var why []string
		failed := 0
		for _, t := range r.Thresholds {
			if !t.OK {
				failed++
			}
		}
		if failed > 0 {
			why = append(why, fmt.Sprintf("%d of %d thresholds failed", failed, len(r.Thresholds)))
		}
		for _, reason := range r.FailReasons {
			if !strings.HasPrefix(reason, "threshold ") {
				why = append(why, reason)
			}
		}
		p("verdict: %s — %s\n", mark(false), strings.Join(why, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
