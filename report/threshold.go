package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/fleetsim/fleetsim/sim/units"
)

// Threshold is a condition on a report metric, as a scenario writes it:
//
//	latency_ms.ingest.p99: "< 1500ms"
//	frames.loss_ratio: "< 0.1%"
//	groups.living-rooms.events.report_fail_ratio: "<= 1%"
//	generator.peak_rss_bytes: "< 1.5GiB"
//
// Metric names are report.json keys joined by dots ("latency." is accepted
// for "latency_ms."); "groups.NAME.KEY" selects a group's block. The
// condition is an operator (<, <=, >, >=, ==, !=) and a value in the
// metric's unit: a duration or a bare number of milliseconds for *_ms
// metrics, a ratio ("0.1%" or "0.001") for *_ratio metrics, a byte size for
// *_bytes metrics, a duration or bare seconds for *_seconds, a plain number
// for counts. A metric without data (a percentile of nothing, a ratio over
// zero, an unknown group) fails its threshold.
type Threshold struct {
	Name      string // canonical metric name
	Condition string // as written
	op        string
	value     float64
}

// ParseThreshold checks a metric name and a condition.
func ParseThreshold(name, condition string) (Threshold, error) {
	canon := canonicalMetric(name)
	if !KnownMetric(canon) {
		return Threshold{}, fmt.Errorf("threshold %q: no such report metric (e.g. latency_ms.ingest.p99, frames.loss_ratio, groups.NAME.frames.loss_ratio)", name)
	}
	op, v, err := parseCondition(canon, condition)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %s: %w", name, err)
	}
	return Threshold{Name: canon, Condition: strings.TrimSpace(condition), op: op, value: v}, nil
}

func canonicalMetric(name string) string {
	name = strings.TrimSpace(name)
	if strings.HasPrefix(name, "latency.") {
		return "latency_ms." + strings.TrimPrefix(name, "latency.")
	}
	if g, rest, ok := cutGroup(name); ok && strings.HasPrefix(rest, "latency.") {
		return "groups." + g + ".latency_ms." + strings.TrimPrefix(rest, "latency.")
	}
	return name
}

// cutGroup splits "groups.NAME.KEY" at the dot before the longest-known KEY.
func cutGroup(name string) (group, key string, ok bool) {
	rest, found := strings.CutPrefix(name, "groups.")
	if !found {
		return "", "", false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] == '.' && i > 0 {
			k := rest[i+1:]
			if metricKnown(k) || strings.HasPrefix(k, "latency.") && metricKnown("latency_ms."+k[len("latency."):]) {
				return rest[:i], k, true
			}
		}
	}
	return "", "", false
}

// dynamicPrefixes are the report maps whose keys are reason tokens or stage
// names: any key below them is a metric (0 when never seen).
var dynamicPrefixes = [...]string{
	"frames.dropped_by_reason.", "frames.lost_by_reason.", "frames.rejected_by_reason.",
	"slices.failed_by_reason.", "connections.failures_by_stage.",
}

func dynamicMetric(name string) bool {
	for _, p := range dynamicPrefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) && !strings.Contains(name[len(p):], ".") {
			return true
		}
	}
	return false
}

// KnownMetric says whether name is a metric a threshold may use. The
// scenario validator calls it so that a threshold on a metric that does not
// exist is an error.
func KnownMetric(name string) bool {
	name = canonicalMetric(name)
	if metricKnown(name) {
		return true
	}
	_, _, ok := cutGroup(name)
	return ok
}

func metricKnown(name string) bool {
	if dynamicMetric(name) {
		return true
	}
	_, ok := knownMetrics()[name]
	return ok
}

// knownMetrics is the set of report keys: an immutable table computed once
// from an empty report.
func knownMetrics() map[string]bool {
	known.once.Do(func() {
		known.keys = map[string]bool{}
		for k := range newState(false).build().values() {
			if !strings.HasPrefix(k, "groups.") {
				known.keys[k] = true
			}
		}
	})
	return known.keys
}

var known struct {
	once sync.Once
	keys map[string]bool
}

// values flattens the report's numeric and boolean fields into dotted keys;
// a null is a key with a nil value.
func (r *Report) values() map[string]*float64 {
	out := map[string]*float64{}
	top := struct {
		Blocks
		DurationMs  int64      `json:"duration_ms"`
		Pass        bool       `json:"pass"`
		Interrupted bool       `json:"interrupted"`
		Accounting  Accounting `json:"accounting"`
		Generator   Generator  `json:"generator"`
	}{r.Blocks, r.DurationMs, r.Pass, r.Interrupted, r.Accounting, r.Generator}
	flattenJSON("", top, out)
	for _, g := range r.Groups {
		flattenJSON("groups."+g.Name+".", g.Blocks, out)
	}
	delete(out, "pass") // the verdict is not an input of itself
	return out
}

func flattenJSON(prefix string, v any, out map[string]*float64) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	flattenAny(prefix, m, out)
}

func flattenAny(prefix string, m map[string]any, out map[string]*float64) {
	for k, v := range m {
		key := prefix + k
		switch x := v.(type) {
		case nil:
			out[key] = nil
		case float64:
			out[key] = fptr(x)
		case bool:
			f := 0.0
			if x {
				f = 1
			}
			out[key] = &f
		case map[string]any:
			flattenAny(key+".", x, out)
		}
	}
}

// Value returns a metric of the report (see Threshold for names); ok is
// false when the metric has no data.
func (r *Report) Value(metric string) (float64, bool) {
	v, ok := lookup(r.values(), canonicalMetric(metric))
	return v, ok
}

func lookup(vals map[string]*float64, name string) (float64, bool) {
	if p, present := vals[name]; present {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	key := name
	if g, k, ok := cutGroup(name); ok {
		if _, groupExists := vals["groups."+g+".frames.sent"]; !groupExists {
			return 0, false
		}
		key = k
	}
	if dynamicMetric(key) {
		return 0, true // a reason never seen counts 0
	}
	return 0, false
}

type unitKind int

const (
	unitCount unitKind = iota
	unitMs
	unitSeconds
	unitRatio
	unitBytes
)

func unitOf(name string) unitKind {
	switch {
	case strings.Contains(name, "latency_ms.") || strings.Contains(name, "lag_ms.") || strings.Contains(name, "jitter_ms.") || strings.HasSuffix(name, "_ms"):
		if strings.HasSuffix(name, ".count") {
			return unitCount
		}
		return unitMs
	case strings.HasSuffix(name, "_ratio"):
		return unitRatio
	case strings.HasSuffix(name, "_seconds"):
		return unitSeconds
	case strings.HasSuffix(name, "bytes"):
		return unitBytes
	}
	return unitCount
}

var operators = [...]string{"<=", ">=", "==", "!=", "<", ">"}

func parseCondition(metric, cond string) (string, float64, error) {
	c := strings.TrimSpace(cond)
	var op string
	for _, o := range operators {
		if strings.HasPrefix(c, o) {
			op = o
			break
		}
	}
	if op == "" {
		return "", 0, fmt.Errorf("condition %q: want an operator (<, <=, >, >=, ==, !=) and a value, e.g. \"< 1500ms\"", cond)
	}
	vs := strings.TrimSpace(c[len(op):])
	if vs == "" {
		return "", 0, fmt.Errorf("condition %q: missing value after %s", cond, op)
	}
	v, err := parseValue(unitOf(metric), vs)
	if err != nil {
		return "", 0, fmt.Errorf("condition %q: %w", cond, err)
	}
	return op, v, nil
}

func parseValue(u unitKind, s string) (float64, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("value %q is not a finite number", s)
		}
		if u == unitRatio && (f < 0 || f > 1) {
			return 0, fmt.Errorf("ratio %q must lie in [0, 1] (or be written as a percentage)", s)
		}
		return f, nil // a bare number is in the metric's own unit
	}
	switch u {
	case unitMs, unitSeconds:
		d, err := units.ParseDuration(s)
		if err != nil {
			return 0, err
		}
		if u == unitMs {
			return float64(d.D()) / 1e6, nil
		}
		return d.D().Seconds(), nil
	case unitRatio:
		r, err := units.ParseRatio(s)
		return float64(r), err
	case unitBytes:
		b, err := units.ParseByteSize(s)
		return float64(b), err
	}
	return 0, fmt.Errorf("value %q: this metric is a count, want a plain number", s)
}

// evaluate checks one threshold against the report's values.
func evaluate(name, cond string, vals map[string]*float64) ThresholdResult {
	res := ThresholdResult{Name: name, Condition: cond}
	t, err := ParseThreshold(name, cond)
	if err != nil {
		res.Note = err.Error()
		return res
	}
	res.Name = t.Name
	v, ok := lookup(vals, t.Name)
	if !ok {
		res.Note = "no data"
		return res
	}
	res.Value = fptr(v)
	res.OK = compare(t.op, v, t.value)
	return res
}

func compare(op string, a, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	return false
}

// Check evaluates t against a report (for callers outside a run).
func (t Threshold) Check(r *Report) ThresholdResult {
	return evaluate(t.Name, t.Condition, r.values())
}
