package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
	"gopkg.in/yaml.v3"
)

// Threshold is a condition on a report key (DESIGN.md §6).
type Threshold struct {
	Metric      string
	Condition   Condition
	AbortOnFail bool
}

// Thresholds keep file order. Written as a mapping of report keys to a
// condition string, or to {condition: "…", abort_on_fail: true}.
type Thresholds []Threshold

// Condition is "OP NUMBER[UNIT]" with OP one of < <= > >= == !=. The value
// is normalised to the report's units: durations to milliseconds ("1.5s" →
// 1500), percentages to ratios ("0.1%" → 0.001), sizes to bytes ("300MiB").
type Condition struct {
	Op    string
	Value float64
	// Text is the condition as written.
	Text string
}

func (c Condition) String() string { return c.Text }

// Holds reports whether v satisfies the condition.
func (c Condition) Holds(v float64) bool {
	switch c.Op {
	case "<":
		return v < c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case ">=":
		return v >= c.Value
	case "==":
		return v == c.Value
	case "!=":
		return v != c.Value
	}
	return false
}

const conditionExpected = `a condition such as "< 1500ms", "<= 0.1%", "== 0" or "> 99%"`

// ParseCondition parses a threshold condition.
func ParseCondition(s string) (Condition, error) {
	t := strings.TrimSpace(s)
	var op string
	for _, o := range []string{"<=", ">=", "==", "!=", "<", ">"} {
		if strings.HasPrefix(t, o) {
			op = o
			break
		}
	}
	if op == "" {
		return Condition{}, fmt.Errorf("no comparison operator (< <= > >= == !=)")
	}
	num := strings.TrimSpace(t[len(op):])
	if num == "" {
		return Condition{}, fmt.Errorf("no value after %s", op)
	}
	c := Condition{Op: op, Text: t}
	i := 0
	for i < len(num) && (num[i] >= '0' && num[i] <= '9' || num[i] == '.' || i == 0 && num[i] == '-') {
		i++
	}
	v, err := strconv.ParseFloat(num[:i], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Condition{}, fmt.Errorf("%q is not a number", num)
	}
	unit := strings.TrimSpace(num[i:])
	switch {
	case unit == "":
		c.Value = v
	case unit == "%":
		c.Value = v / 100
	default:
		if d, err := time.ParseDuration(num[:i] + unit); err == nil {
			c.Value = float64(d) / float64(time.Millisecond)
		} else if b, err := units.ParseByteSize(num[:i] + unit); err == nil {
			c.Value = float64(b)
		} else {
			return Condition{}, fmt.Errorf("unknown unit %q (want %%, a time unit such as ms or s, or a size unit such as MiB)", unit)
		}
	}
	return c, nil
}

// thresholdForm is the mapping form of one threshold.
type thresholdForm struct {
	Condition   string `yaml:"condition" required:"true" doc:"the condition"`
	AbortOnFail bool   `yaml:"abort_on_fail" doc:"stop the run as soon as the condition fails"`
}

func (*Thresholds) expected() string {
	return "a mapping of report keys to conditions, e.g. {latency_ms.ingest.p99: \"< 1500ms\"}"
}

func (ts *Thresholds) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "found %s; expected %s", found(n), ts.expected())
		return
	}
	seen := map[string]*yaml.Node{}
	d.eachPair(n, path, func(k, v *yaml.Node) {
		p := join(path, k.Value)
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, p, "duplicate threshold %q (first at line %d); expected each key once", k.Value, prev.Line)
			return
		}
		seen[k.Value] = k
		d.keys[p] = k
		v = resolve(v)
		if v == nil {
			return
		}
		d.values[p] = v
		th := Threshold{Metric: k.Value}
		condNode, text := v, v.Value
		switch {
		case v.Kind == yaml.MappingNode:
			var f thresholdForm
			before := len(d.probs)
			d.decodeStruct(v, reflectValue(&f), p)
			if len(d.probs) > before {
				return
			}
			th.AbortOnFail = f.AbortOnFail
			condNode, text = d.values[join(p, "condition")], f.Condition
		case v.Kind != yaml.ScalarNode || isNull(v):
			d.errorf(v, p, "found %s; expected %s, or {condition: …, abort_on_fail: true}", found(v), conditionExpected)
			return
		}
		c, err := ParseCondition(text)
		if err != nil {
			d.errorf(condNode, p, "found %q; expected %s (%v)", text, conditionExpected, err)
			return
		}
		th.Condition = c
		*ts = append(*ts, th)
	})
}
