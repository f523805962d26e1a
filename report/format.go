package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Formatting shared by the human-readable writers.

const dash = "—"

// fmtInt writes n with thin thousands separators (1,234,567).
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtMs writes milliseconds with a precision that suits the size.
func fmtMs(p *float64) string {
	if p == nil {
		return dash
	}
	v := *p
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// fmtPct writes a ratio as a percentage.
func fmtPct(p *float64) string {
	if p == nil {
		return dash
	}
	v := *p * 100
	switch {
	case v == 0:
		return "0%"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case v >= 0.01:
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', 2, 64) + "%"
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtDuration(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

// thresholdValue writes a threshold's value in its metric's unit.
func thresholdValue(t ThresholdResult) string {
	if t.Value == nil {
		return "no data"
	}
	switch unitOf(t.Name) {
	case unitMs:
		return fmtMs(t.Value) + " ms"
	case unitRatio:
		return fmtPct(t.Value)
	case unitBytes:
		return fmtBytes(int64(*t.Value))
	case unitSeconds:
		return strconv.FormatFloat(*t.Value, 'f', 1, 64) + " s"
	}
	return strconv.FormatFloat(*t.Value, 'f', -1, 64)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// fmtLabels writes labelled counts as "a 3, b 1", largest first.
func fmtLabels(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	type kv struct {
		k string
		v int64
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].v != kvs[j].v {
			return kvs[i].v > kvs[j].v
		}
		return kvs[i].k < kvs[j].k
	})
	var parts []string
	for _, x := range kvs {
		parts = append(parts, x.k+" "+fmtInt(x.v))
	}
	return strings.Join(parts, ", ")
}

// latencyRows are the latency metrics the writers show, in order.
func latencyRows(b *Blocks) []struct {
	Name string
	S    Summary
} {
	return []struct {
		Name string
		S    Summary
	}{
		{"ingest", b.LatencyMs.Ingest},
		{"event first frame", b.LatencyMs.EventFirstFrame},
		{"slice upload", b.LatencyMs.SliceUpload},
	}
}
