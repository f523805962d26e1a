package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/gonum/stat"
)

// CompareOptions say how much worse NEW may be than BASE.
type CompareOptions struct {
	// Relative is the default tolerance: a gated metric regresses when it
	// worsens by more than Relative × |base| and by more than its floor.
	Relative float64
	// PerMetric overrides the tolerance of single metrics.
	PerMetric map[string]Tolerance
	// KSMaxD is the largest Kolmogorov-Smirnov distance between latency
	// distributions tolerated when the difference is significant (p < Alpha)
	// and NEW is slower.
	KSMaxD float64
	Alpha  float64
}

// DefaultCompareOptions: 10 %, KS distance 0.1 at p < 0.01.
func DefaultCompareOptions() CompareOptions {
	return CompareOptions{Relative: 0.10, PerMetric: map[string]Tolerance{}, KSMaxD: 0.1, Alpha: 0.01}
}

// Tolerance of one metric: relative to the base value, or absolute in the
// metric's unit.
type Tolerance struct {
	Relative float64
	Absolute float64
	IsAbs    bool
}

func (t Tolerance) String() string {
	if t.IsAbs {
		return "+" + strconv.FormatFloat(t.Absolute, 'g', 4, 64)
	}
	return strconv.FormatFloat(t.Relative*100, 'g', 4, 64) + "%"
}

// ParseTolerance applies one --tolerance flag: "10%" sets the default
// relative tolerance; "METRIC=15%" a metric's relative tolerance;
// "METRIC=+50ms", "METRIC=+0.05%" (ratios), "METRIC=+3" an absolute one in
// the metric's unit.
func (o *CompareOptions) ParseTolerance(spec string) error {
	metric, val, hasMetric := strings.Cut(spec, "=")
	if !hasMetric {
		r, err := parseRelative(spec)
		if err != nil {
			return fmt.Errorf("tolerance %q: %w", spec, err)
		}
		o.Relative = r
		return nil
	}
	metric = canonicalMetric(metric)
	if !KnownMetric(metric) {
		return fmt.Errorf("tolerance %q: no such report metric %q", spec, metric)
	}
	if abs, ok := strings.CutPrefix(strings.TrimSpace(val), "+"); ok {
		v, err := parseValue(unitOf(metric), strings.TrimSpace(abs))
		if err != nil || v < 0 {
			return fmt.Errorf("tolerance %q: bad absolute value: %v", spec, err)
		}
		o.PerMetric[metric] = Tolerance{Absolute: v, IsAbs: true}
		return nil
	}
	r, err := parseRelative(val)
	if err != nil {
		return fmt.Errorf("tolerance %q: %w (write +VALUE for an absolute tolerance)", spec, err)
	}
	o.PerMetric[metric] = Tolerance{Relative: r}
	return nil
}

func parseRelative(s string) (float64, error) {
	t := strings.TrimSpace(s)
	p, ok := strings.CutSuffix(t, "%")
	if !ok {
		return 0, fmt.Errorf("want a percentage such as 10%%")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a non-negative percentage such as 10%%")
	}
	return v / 100, nil
}

// compared is one metric compare looks at: worse says which direction is a
// regression (+1 higher is worse, -1 lower is worse, 0 informational), floor
// is the smallest absolute change that counts.
type compared struct {
	metric string
	worse  int
	floor  float64
}

func comparedMetrics(base, nu *Report) []compared {
	var out []compared
	for _, m := range []string{"ingest", "event_first_frame", "slice_upload"} {
		for _, q := range []string{"p50", "p90", "p99"} {
			out = append(out, compared{"latency_ms." + m + "." + q, +1, 1})
		}
		out = append(out, compared{"latency_ms." + m + ".p999", 0, 0}, compared{"latency_ms." + m + ".max", 0, 0})
	}
	out = append(out,
		compared{"frames.loss_ratio", +1, 0.0001},
		compared{"frames.delivered_ratio", 0, 0},
		compared{"events.report_fail_ratio", +1, 0.001},
		compared{"slices.stored_ratio", 0, 0},
		compared{"slices.expired_ratio", +1, 0.001},
		compared{"connections.failure_ratio", +1, 0.001},
		compared{"live_view.loss_ratio", +1, 0.0001},
		compared{"devices.connected", 0, 0},
		compared{"frames.sent", 0, 0},
		compared{"frames.delivered", 0, 0},
		compared{"events.started", 0, 0},
		compared{"slices.cut", 0, 0},
		compared{"slices.overwritten", 0, 0},
		compared{"connections.reconnects", 0, 0},
		compared{"watermarks.high", 0, 0},
		compared{"push.paused", 0, 0},
		compared{"generator.lag_ms.p99", 0, 0},
		compared{"generator.cpu_seconds", 0, 0},
		compared{"generator.peak_rss_bytes", 0, 0},
	)
	// Groups present in both runs: their loss and ingest p99 are gated too.
	have := map[string]bool{}
	for _, g := range base.Groups {
		have[g.Name] = true
	}
	for _, g := range nu.Groups {
		if have[g.Name] {
			out = append(out,
				compared{"groups." + g.Name + ".frames.loss_ratio", +1, 0.0001},
				compared{"groups." + g.Name + ".latency_ms.ingest.p99", +1, 1})
		}
	}
	return out
}

// DeltaRow is one metric of a comparison.
type DeltaRow struct {
	Metric    string   `json:"metric"`
	Base      *float64 `json:"base"`
	New       *float64 `json:"new"`
	Delta     *float64 `json:"delta"`
	Relative  *float64 `json:"relative"`
	Gated     bool     `json:"gated"`
	Tolerance string   `json:"tolerance,omitempty"`
	Regressed bool     `json:"regressed"`
	Note      string   `json:"note,omitempty"`
}

// KSResult is the two-sample Kolmogorov-Smirnov test of one latency
// distribution (all groups together).
type KSResult struct {
	Metric    string  `json:"metric"`
	D         float64 `json:"d"`
	P         float64 `json:"p"`
	NBase     int64   `json:"n_base"`
	NNew      int64   `json:"n_new"`
	BaseP50   float64 `json:"base_p50_ms"`
	NewP50    float64 `json:"new_p50_ms"`
	Regressed bool    `json:"regressed"`
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Rows        []DeltaRow `json:"rows"`
	KS          []KSResult `json:"ks"`
	Regressions []string   `json:"regressions"`
}

// Compare compares NEW against BASE.
func Compare(base, nu *Report, o CompareOptions) *Comparison {
	c := &Comparison{Regressions: []string{}}
	bv, nv := base.values(), nu.values()
	for _, m := range comparedMetrics(base, nu) {
		row := DeltaRow{Metric: m.metric, Gated: m.worse != 0}
		b, bok := lookup(bv, m.metric)
		n, nok := lookup(nv, m.metric)
		if bok {
			row.Base = fptr(b)
		}
		if nok {
			row.New = fptr(n)
		}
		if bok && nok {
			d := n - b
			row.Delta = fptr(d)
			if b != 0 {
				row.Relative = fptr(d / math.Abs(b))
			}
		}
		if row.Gated {
			tol, ok := o.PerMetric[m.metric]
			if !ok {
				tol = Tolerance{Relative: o.Relative}
			}
			row.Tolerance = tol.String()
			switch {
			case bok && !nok:
				row.Regressed, row.Note = true, "no data in NEW"
			case bok && nok:
				worse := (n - b) * float64(m.worse)
				allowed := tol.Absolute
				if !tol.IsAbs {
					allowed = math.Max(tol.Relative*math.Abs(b), m.floor)
				}
				row.Regressed = worse > allowed
			}
			if row.Regressed {
				c.Regressions = append(c.Regressions, fmt.Sprintf("%s: %s → %s (tolerance %s)", m.metric, fmtValue(m.metric, row.Base), fmtValue(m.metric, row.New), row.Tolerance))
			}
		}
		c.Rows = append(c.Rows, row)
	}
	for _, m := range []string{"ingest", "event_first_frame", "slice_upload"} {
		k, ok := ksTest(base.Distributions[m], nu.Distributions[m])
		if !ok {
			continue
		}
		k.Metric = "latency_ms." + m
		k.Regressed = k.P < o.Alpha && k.D > o.KSMaxD && k.NewP50 > k.BaseP50
		if k.Regressed {
			c.Regressions = append(c.Regressions, fmt.Sprintf("%s distribution: KS D=%.3f p=%.2g, median %s → %s ms (tolerance D ≤ %g)",
				k.Metric, k.D, k.P, fmtMs(&k.BaseP50), fmtMs(&k.NewP50), o.KSMaxD))
		}
		c.KS = append(c.KS, k)
	}
	return c
}

func fmtValue(metric string, v *float64) string {
	if v == nil {
		return "no data"
	}
	return thresholdValue(ThresholdResult{Name: metric, Value: v})
}

// ksTest merges the groups' histograms of each side and runs the test;
// ok is false when a side has no samples or a histogram is malformed.
func ksTest(base, nu map[string][]int64) (KSResult, bool) {
	bx, bw, bn, ok1 := mergedSamples(base)
	nx, nw, nn, ok2 := mergedSamples(nu)
	if !ok1 || !ok2 || bn == 0 || nn == 0 {
		return KSResult{}, false
	}
	d := stat.KolmogorovSmirnov(bx, bw, nx, nw)
	return KSResult{
		D: round6(d), P: round6(ksPValue(d, bn, nn)), NBase: bn, NNew: nn,
		BaseP50: medianOf(bx, bw, bn), NewP50: medianOf(nx, nw, nn),
	}, true
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func mergedSamples(groups map[string][]int64) (xs, ws []float64, n int64, ok bool) {
	h := newHist()
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		if err := sparse(groups[g]).addTo(h); err != nil {
			return nil, nil, 0, false
		}
	}
	s := toSparse(h)
	for i := 0; i < len(s); i += 2 {
		xs = append(xs, float64(s[i]))
		ws = append(ws, float64(s[i+1]))
	}
	return xs, ws, h.TotalCount(), true
}

// medianOf is the weighted median in ms.
func medianOf(xs, ws []float64, n int64) float64 {
	half := float64(n) / 2
	var cum float64
	for i := range xs {
		cum += ws[i]
		if cum >= half {
			return roundMs(xs[i] / 1000)
		}
	}
	return 0
}

// ksPValue is the asymptotic p-value of the two-sample KS statistic d for
// samples of sizes n and m (Kolmogorov distribution with the Stephens
// small-sample correction).
func ksPValue(d float64, n, m int64) float64 {
	ne := float64(n) * float64(m) / float64(n+m)
	sq := math.Sqrt(ne)
	lambda := (sq + 0.12 + 0.11/sq) * d
	if lambda < 0.2 {
		return 1
	}
	var sum float64
	sign := 1.0
	for j := 1; j <= 100; j++ {
		term := sign * math.Exp(-2*float64(j*j)*lambda*lambda)
		sum += term
		if math.Abs(term) < 1e-12 {
			break
		}
		sign = -sign
	}
	return math.Min(1, math.Max(0, 2*sum))
}

// WriteComparison writes the comparison as a table, regressions last.
func WriteComparison(w io.Writer, c *Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric\tbase\tnew\tdelta\t\ttolerance\n")
	for _, r := range c.Rows {
		if r.Base == nil && r.New == nil {
			continue
		}
		delta, rel := dash, ""
		if r.Delta != nil {
			delta = fmtDelta(r.Metric, *r.Delta)
		}
		if r.Relative != nil {
			rel = fmt.Sprintf("%+.1f%%", *r.Relative*100)
		}
		mark := ""
		if r.Regressed {
			mark = "  REGRESSION"
			if r.Note != "" {
				mark += " (" + r.Note + ")"
			}
		}
		tol := r.Tolerance
		if !r.Gated {
			tol = "(info)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\n", r.Metric, fmtValue(r.Metric, r.Base), fmtValue(r.Metric, r.New), delta, rel, tol, mark)
	}
	tw.Flush()
	if len(c.KS) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "distribution (KS test)\tD\tp\tn base\tn new\tmedian base → new\n")
		for _, k := range c.KS {
			mark := ""
			if k.Regressed {
				mark = "  REGRESSION"
			}
			fmt.Fprintf(tw, "%s\t%.4f\t%.3g\t%s\t%s\t%s → %s ms%s\n", k.Metric, k.D, k.P, fmtInt(k.NBase), fmtInt(k.NNew), fmtMs(&k.BaseP50), fmtMs(&k.NewP50), mark)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	if len(c.Regressions) == 0 {
		_, err := fmt.Fprintln(w, "no regression beyond tolerance")
		return err
	}
	for _, r := range c.Regressions {
		fmt.Fprintf(w, "REGRESSION %s\n", r)
	}
	return nil
}

func fmtDelta(metric string, d float64) string {
	sign := "+"
	if d < 0 {
		sign = "-"
	}
	a := math.Abs(d)
	switch unitOf(metric) {
	case unitMs:
		return sign + fmtMs(&a) + " ms"
	case unitRatio:
		return sign + strconv.FormatFloat(a*100, 'g', 3, 64) + " pp"
	case unitBytes:
		return sign + fmtBytes(int64(a))
	}
	return sign + strconv.FormatFloat(a, 'g', 6, 64)
}
