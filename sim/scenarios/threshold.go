package scenarios

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Threshold is a condition on a report key (DESIGN.md §6). The report
// package evaluates it (report.ParseThreshold): the value's unit depends on
// the metric (*_ms, *_ratio, *_bytes, counts), so the loader checks the
// syntax here and, through Options.CheckThreshold, the metric and unit.
type Threshold struct {
	Metric string
	// Condition is "OP VALUE" as written, OP one of < <= > >= == !=.
	Condition   string
	AbortOnFail bool
}

// Thresholds keep file order. Written as a mapping of report keys to a
// condition string, or to {condition: "…", abort_on_fail: true}.
type Thresholds []Threshold

const conditionExpected = `a condition such as "< 1500ms", "<= 0.1%", "== 0" or "> 99%"`

var conditionRE = regexp.MustCompile(`^\s*(<=|>=|==|!=|<|>)\s*-?[0-9]+(\.[0-9]+)?\s*[A-Za-zµ%]*\s*$`)

// checkCondition is the syntax check: an operator, a number, an optional unit.
func checkCondition(s string) error {
	if !conditionRE.MatchString(s) {
		t := strings.TrimSpace(s)
		for _, o := range []string{"<", ">", "==", "!="} {
			if strings.HasPrefix(t, o) {
				return fmt.Errorf("want OP NUMBER[UNIT]")
			}
		}
		return fmt.Errorf("no comparison operator (< <= > >= == !=)")
	}
	return nil
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
	d.eachPair(n, path, func(k, v *yaml.Node) {
		p := join(path, k.Value)
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
		if err := checkCondition(text); err != nil {
			d.errorf(condNode, p, "found %q; expected %s (%v)", text, conditionExpected, err)
			return
		}
		th.Condition = strings.TrimSpace(text)
		*ts = append(*ts, th)
	})
}
