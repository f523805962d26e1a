package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
)

//go:embed report.html.tmpl
var htmlTemplate string

// htmlChart is a chart for the template; SVG is built by svg.go, which
// escapes every text it writes.
type htmlChart struct {
	ID  string
	SVG template.HTML
}

type htmlView struct {
	R         *Report
	Verdict   string
	CDFs      []htmlChart
	Timeline  []htmlChart
	Funnels   []htmlChart
	Latencies []struct {
		Name string
		S    Summary
	}
}

// WriteHTML writes report.html: one self-contained file (inline CSS, SVG
// and a few lines of script for sortable tables; nothing is fetched).
func WriteHTML(w io.Writer, r *Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"int":     fmtInt,
		"ms":      fmtMs,
		"pct":     fmtPct,
		"bytes":   fmtBytes,
		"dur":     fmtDuration,
		"labels":  fmtLabels,
		"tval":    thresholdValue,
		"verdict": verdict,
		"f1":      func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
		"msv":     func(v float64) string { return fmtMs(&v) },
		"pctv":    func(v float64) string { return fmtPct(&v) },
	}).Parse(htmlTemplate)
	if err != nil {
		return err
	}
	v := htmlView{R: r, Verdict: verdict(r.Pass), Latencies: latencyRows(&r.Blocks)}
	v.CDFs = cdfCharts(r)
	v.Timeline = timelineCharts(r)
	v.Funnels = funnelCharts(r)
	return t.Execute(w, v)
}

func cdfCharts(r *Report) []htmlChart {
	var out []htmlChart
	for _, m := range []struct{ key, title string }{
		{"ingest", "Ingest latency CDF per group"},
		{"event_first_frame", "Event first-frame latency CDF per group"},
		{"slice_upload", "Slice upload time CDF per group"},
	} {
		// At most maxCDFGroups lines (the groups with most samples) stay
		// readable; the rest are in report.json's distributions.
		const maxCDFGroups = 8
		var names []string
		for _, g := range r.Groups {
			if len(r.Distributions[m.key][g.Name]) > 0 {
				names = append(names, g.Name)
			}
		}
		title := m.title
		if len(names) > maxCDFGroups {
			sort.SliceStable(names, func(i, j int) bool {
				return sparse(r.Distributions[m.key][names[i]]).total() > sparse(r.Distributions[m.key][names[j]]).total()
			})
			title += fmt.Sprintf(" (the %d largest of %d groups)", maxCDFGroups, len(names))
			names = names[:maxCDFGroups]
		}
		var ss []series
		for i, name := range names {
			ss = append(ss, cdfSeries(name, color(i), r.Distributions[m.key][name]))
		}
		id := "cdf-" + m.key
		out = append(out, htmlChart{ID: id, SVG: template.HTML(lineChart(chartOpts{
			id: id, title: title, xLabel: "latency (log scale)", yLabel: "fraction of samples",
			w: 620, h: 260, logX: true, yMax: 1,
			xFmt: fmtAxisMs, yFmt: func(v float64) string { return num(math.Round(v*100)) + "%" },
		}, ss))})
	}
	return out
}

func timelineCharts(r *Report) []htmlChart {
	n := len(r.Timeline)
	xs := make([]float64, n)
	get := func(f func(TimelineRow) (float64, bool)) ([]float64, []float64) {
		var x, y []float64
		for i, row := range r.Timeline {
			if v, ok := f(row); ok {
				x = append(x, xs[i])
				y = append(y, v)
			}
		}
		return x, y
	}
	for i, row := range r.Timeline {
		xs[i] = row.EndS
	}
	dots := n <= 240
	var xLo, xHi float64
	if n > 0 {
		xLo, xHi = r.Timeline[0].EndS, r.Timeline[n-1].EndS
	}
	mk := func(id, title, ylabel string, yfmt func(float64) string, ss ...series) htmlChart {
		return htmlChart{ID: id, SVG: template.HTML(lineChart(chartOpts{
			id: id, title: title, xLabel: "time since start (end of each " + fmtDuration(r.windowMs()) + " window)", yLabel: ylabel, w: 620, h: 200,
			xFmt: fmtClock, yFmt: yfmt, xTicks: clockTicks, xLo: xLo, xHi: xHi,
			tipFmt: func(x, y float64) string { return fmtClock(x) + ": " + yfmt(y) },
		}, ss))}
	}
	cx, cy := get(func(t TimelineRow) (float64, bool) { return float64(t.Connected), true })
	tx, ty := get(func(t TimelineRow) (float64, bool) {
		if t.MbitPerS == nil {
			return 0, false
		}
		return *t.MbitPerS, true
	})
	sx, sy := get(func(t TimelineRow) (float64, bool) { return t.SentMbitPerS, true })
	fx, fy := get(func(t TimelineRow) (float64, bool) { return t.FramesPerS, true })
	lx, ly := get(func(t TimelineRow) (float64, bool) {
		if t.LossRatio == nil {
			return 0, false
		}
		return *t.LossRatio * 100, true
	})
	px, py := get(func(t TimelineRow) (float64, bool) {
		if t.IngestP99Ms == nil {
			return 0, false
		}
		return *t.IngestP99Ms, true
	})
	intFmt := func(v float64) string { return fmtInt(int64(math.Round(v))) }
	return []htmlChart{
		mk("timeline-connected", "Connected devices", "devices", intFmt, series{name: "connected", color: color(0), xs: cx, ys: cy, dots: dots}),
		mk("timeline-throughput", "Throughput: sent by devices, delivered to the cloud", "Mbit/s", func(v float64) string { return num(math.Round(v*100) / 100) },
			series{name: "sent", color: color(7), xs: sx, ys: sy, dots: dots},
			series{name: "delivered", color: color(2), xs: tx, ys: ty, dots: dots}),
		mk("timeline-fps", "Frames delivered per second", "frames/s", intFmt, series{name: "frames/s", color: color(5), xs: fx, ys: fy, dots: dots}),
		mk("timeline-loss", "Frame loss per window (dropped + lost + rejected) / sent", "loss %", func(v float64) string { return num(math.Round(v*1000)/1000) + "%" },
			series{name: "loss %", color: color(1), xs: lx, ys: ly, dots: dots}),
		mk("timeline-p99", "Ingest latency p99 per window", "ms", func(v float64) string { return fmtAxisMs(v) },
			series{name: "p99", color: color(4), xs: px, ys: py, dots: dots}),
	}
}

// windowMs is the timeline resolution of the report (0 when unknown).
func (r *Report) windowMs() int64 {
	if len(r.Timeline) < 2 {
		if len(r.Timeline) == 1 {
			return int64((r.Timeline[0].EndS - r.Timeline[0].StartS) * 1000)
		}
		return 0
	}
	return int64((r.Timeline[1].EndS - r.Timeline[1].StartS) * 1000)
}

func funnelCharts(r *Report) []htmlChart {
	e, s := r.Events, r.Slices
	return []htmlChart{
		{ID: "funnel-events", SVG: template.HTML(funnelChart("funnel-events", "Events: started → reported", []funnelStep{
			{"started", e.Started, color(0)},
			{"first frame at cloud", e.FirstFrame, color(5)},
			{"reported ok", e.ReportedOK, color(2)},
			{"report failed", e.ReportedFail, color(1)},
			{"unreported", e.Unreported, color(7)},
		}))},
		{ID: "funnel-slices", SVG: template.HTML(funnelChart("funnel-slices", "Slices: cut → uploaded → backfilled / expired", []funnelStep{
			{"cut", s.Cut, color(0)},
			{"uploaded", s.Uploaded, color(2)},
			{"upload failed", s.Failed, color(3)},
			{"backfilled", s.Backfilled, color(5)},
			{"expired (lost)", s.Expired, color(1)},
			{"overwritten", s.Overwritten, color(7)},
		}))},
	}
}
