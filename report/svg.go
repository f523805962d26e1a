package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Inline SVG charts for report.html: drawn here, no scripts, no network.

var palette = [...]string{"#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"}

func color(i int) string { return palette[i%len(palette)] }

type series struct {
	name   string
	color  string
	xs, ys []float64
	dots   bool // draw a dot with a tooltip per point
}

type chartOpts struct {
	id, title      string
	xLabel, yLabel string
	w, h           int
	logX           bool
	yMax           float64 // 0: from the data
	xFmt, yFmt     func(float64) string
	xTicks         func(lo, hi float64) []float64 // default: round numbers
	xLo, xHi       float64                        // fixed x range when xHi > xLo
	tipFmt         func(x, y float64) string
}

const (
	marginL = 60
	marginR = 16
	marginT = 28
	marginB = 40
)

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func pt(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// lineChart draws series as polylines on linear (or log-x) axes.
func lineChart(o chartOpts, ss []series) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		html.EscapeString(o.id), o.w, o.h, o.w, o.h, html.EscapeString(o.title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(o.title))
	fmt.Fprintf(&b, `<text class="ctitle" x="%d" y="16">%s</text>`, marginL, html.EscapeString(o.title))
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymax := 0.0
	n := 0
	for _, s := range ss {
		for i := range s.xs {
			x := s.xs[i]
			if o.logX && x <= 0 {
				continue
			}
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymax = math.Max(ymax, s.ys[i])
			n++
		}
	}
	pw, ph := float64(o.w-marginL-marginR), float64(o.h-marginT-marginB)
	if n == 0 {
		fmt.Fprintf(&b, `<text class="nodata" x="%d" y="%d">no data</text></svg>`, o.w/2-24, o.h/2)
		return b.String()
	}
	if o.yMax > 0 {
		ymax = o.yMax
	}
	if o.xHi > o.xLo && !o.logX {
		xmin, xmax = o.xLo, o.xHi
	}
	if ymax <= 0 {
		ymax = 1
	}
	yt := niceTicks(0, ymax, 5)
	ymax = math.Max(ymax, yt[len(yt)-1])
	var xt []float64
	if o.logX {
		lo, hi := math.Floor(math.Log10(xmin)), math.Ceil(math.Log10(xmax))
		if hi == lo {
			hi++
		}
		xmin, xmax = math.Pow(10, lo), math.Pow(10, hi)
		for e := lo; e <= hi; e++ {
			xt = append(xt, math.Pow(10, e))
		}
	} else {
		if xmax == xmin {
			xmax = xmin + 1
		}
		if o.xTicks != nil {
			xt = o.xTicks(xmin, xmax)
		} else {
			xt = niceTicks(xmin, xmax, 6)
		}
	}
	sx := func(x float64) float64 {
		if o.logX {
			return marginL + (math.Log10(x)-math.Log10(xmin))/(math.Log10(xmax)-math.Log10(xmin))*pw
		}
		return marginL + (x-xmin)/(xmax-xmin)*pw
	}
	sy := func(y float64) float64 { return marginT + ph - y/ymax*ph }
	// Grid and axes.
	b.WriteString(`<g class="grid">`)
	for _, y := range yt {
		fmt.Fprintf(&b, `<line x1="%d" x2="%s" y1="%s" y2="%s"/>`, marginL, pt(marginL+pw), pt(sy(y)), pt(sy(y)))
		fmt.Fprintf(&b, `<text class="ytick" x="%d" y="%s">%s</text>`, marginL-6, pt(sy(y)+4), html.EscapeString(o.yFmt(y)))
	}
	for _, x := range xt {
		if x < xmin-1e-9 || x > xmax+1e-9 {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%d" y2="%s"/>`, pt(sx(x)), pt(sx(x)), marginT, pt(marginT+ph))
		fmt.Fprintf(&b, `<text class="xtick" x="%s" y="%s">%s</text>`, pt(sx(x)), pt(marginT+ph+14), html.EscapeString(o.xFmt(x)))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<text class="axis" x="%s" y="%d">%s</text>`, pt(marginL+pw/2), o.h-6, html.EscapeString(o.xLabel))
	fmt.Fprintf(&b, `<text class="axis" transform="translate(14 %s) rotate(-90)">%s</text>`, pt(marginT+ph/2), html.EscapeString(o.yLabel))
	// Series.
	for i, s := range ss {
		var d strings.Builder
		first := true
		for j := range s.xs {
			if o.logX && s.xs[j] <= 0 {
				continue
			}
			if first {
				d.WriteString("M")
				first = false
			} else {
				d.WriteString(" L")
			}
			d.WriteString(pt(sx(s.xs[j])) + " " + pt(sy(s.ys[j])))
		}
		if first {
			continue
		}
		fmt.Fprintf(&b, `<path class="series" d="%s" stroke="%s"><title>%s</title></path>`, d.String(), s.color, html.EscapeString(s.name))
		if s.dots && o.tipFmt != nil {
			fmt.Fprintf(&b, `<g class="dots" fill="%s">`, s.color)
			for j := range s.xs {
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5"><title>%s</title></circle>`, pt(sx(s.xs[j])), pt(sy(s.ys[j])), html.EscapeString(o.tipFmt(s.xs[j], s.ys[j])))
			}
			b.WriteString(`</g>`)
		}
		if len(ss) > 1 {
			lx := marginL + 8 + (i%4)*150
			ly := marginT + 10 + (i/4)*14
			fmt.Fprintf(&b, `<g class="legend"><rect x="%d" y="%d" width="10" height="3" fill="%s"/><text x="%d" y="%d">%s</text></g>`, lx, ly-3, s.color, lx+14, ly+1, html.EscapeString(s.name))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

type funnelStep struct {
	label string
	value int64
	color string
}

// funnelChart draws horizontal bars, one per step, scaled to the first.
func funnelChart(id, title string, steps []funnelStep) string {
	const w, rowH, labelW = 520, 26, 150
	h := marginT + rowH*len(steps) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart funnel" id="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		html.EscapeString(id), w, h, w, h, html.EscapeString(title), html.EscapeString(title))
	fmt.Fprintf(&b, `<text class="ctitle" x="0" y="16">%s</text>`, html.EscapeString(title))
	var top int64
	for _, s := range steps {
		top = max(top, s.value)
	}
	for i, s := range steps {
		y := marginT + i*rowH
		bw := 0.0
		if top > 0 {
			bw = float64(s.value) / float64(top) * float64(w-labelW-90)
		}
		fmt.Fprintf(&b, `<text class="flabel" x="%d" y="%d">%s</text>`, labelW-8, y+15, html.EscapeString(s.label))
		fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%s" height="%d" fill="%s"><title>%s: %s</title></rect>`,
			labelW, y+3, pt(math.Max(bw, 1)), rowH-8, s.color, html.EscapeString(s.label), fmtInt(s.value))
		fmt.Fprintf(&b, `<text class="fvalue" x="%s" y="%d">%s</text>`, pt(float64(labelW)+math.Max(bw, 1)+6), y+15, fmtInt(s.value))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// cdfSeries turns a sparse histogram into CDF points (x in ms, y in [0, 1]),
// at most about maxPts of them, always keeping the tail above p99.
func cdfSeries(name, col string, s []int64) series {
	const maxPts = 400
	out := series{name: name, color: col}
	total := sparse(s).total()
	if total == 0 {
		return out
	}
	pairs := len(s) / 2
	every := max(1, pairs/maxPts)
	var cum int64
	for i := 0; i < len(s); i += 2 {
		cum += s[i+1]
		f := float64(cum) / float64(total)
		if (i/2)%every == 0 || f >= 0.99 || i == len(s)-2 {
			x := math.Max(float64(s[i])/1000, 0.001)
			out.xs = append(out.xs, x)
			out.ys = append(out.ys, f)
		}
	}
	return out
}

// clockTicks returns about six ticks at round clock intervals for a span
// in seconds.
func clockTicks(lo, hi float64) []float64 {
	span := hi - lo
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		step = s
		if span/s <= 7 {
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// fmtClock writes seconds since start as m:ss or h:mm:ss.
func fmtClock(s float64) string {
	t := int64(math.Round(s))
	h, m, sec := t/3600, t/60%60, t%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

func fmtAxisMs(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000:
		return num(v/1000) + " s"
	case v >= 1:
		return num(v) + " ms"
	}
	return num(v*1000) + " µs"
}
