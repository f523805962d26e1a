package units

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DurationDist is a distribution of durations, for motion lengths, session
// lengths, outage lengths and the like. In YAML it is either a plain
// duration ("20s": always 20 s) or a mapping:
//
//	{dist: fixed, value: 20s}
//	{dist: uniform, min: 5s, max: 30s}
//	{dist: exponential, mean: 20s}
//	{dist: normal, mean: 20s, stddev: 5s}        (truncated at 0)
//	{dist: lognormal, median: 20s, sigma: 0.5}
//	{dist: pareto, min: 5s, alpha: 1.5}
//
// an optional `max:` caps every draw (except uniform, where max is the bound).
type DurationDist struct {
	Kind   string   `yaml:"dist" json:"dist"`
	Value  Duration `yaml:"value,omitempty" json:"value,omitempty"`
	Min    Duration `yaml:"min,omitempty" json:"min,omitempty"`
	Max    Duration `yaml:"max,omitempty" json:"max,omitempty"`
	Mean   Duration `yaml:"mean,omitempty" json:"mean,omitempty"`
	Median Duration `yaml:"median,omitempty" json:"median,omitempty"`
	StdDev Duration `yaml:"stddev,omitempty" json:"stddev,omitempty"`
	Sigma  float64  `yaml:"sigma,omitempty" json:"sigma,omitempty"`
	Alpha  float64  `yaml:"alpha,omitempty" json:"alpha,omitempty"`
}

// Fixed returns the distribution that always draws d.
func Fixed(d time.Duration) DurationDist { return DurationDist{Kind: "fixed", Value: Duration(d)} }

// Validate checks the parameters of the distribution.
func (d DurationDist) Validate() error {
	switch d.Kind {
	case "fixed":
	case "uniform":
		if d.Max < d.Min {
			return fmt.Errorf("uniform: max %v is below min %v", d.Max, d.Min)
		}
	case "exponential":
		if d.Mean <= 0 {
			return fmt.Errorf("exponential: mean must be positive")
		}
	case "normal":
		if d.Mean <= 0 || d.StdDev < 0 {
			return fmt.Errorf("normal: mean must be positive and stddev non-negative")
		}
	case "lognormal":
		if d.Median <= 0 || d.Sigma < 0 {
			return fmt.Errorf("lognormal: median must be positive and sigma non-negative")
		}
	case "pareto":
		if d.Min <= 0 || d.Alpha <= 0 {
			return fmt.Errorf("pareto: min and alpha must be positive")
		}
	default:
		return fmt.Errorf("unknown distribution %q (want fixed, uniform, exponential, normal, lognormal or pareto)", d.Kind)
	}
	return nil
}

// Sample draws one duration.
func (d DurationDist) Sample(r *rand.Rand) time.Duration {
	var v float64 // nanoseconds
	switch d.Kind {
	case "fixed", "":
		v = float64(d.Value)
	case "uniform":
		v = float64(d.Min) + r.Float64()*float64(d.Max-d.Min)
	case "exponential":
		v = r.ExpFloat64() * float64(d.Mean)
	case "normal":
		v = float64(d.Mean) + r.NormFloat64()*float64(d.StdDev)
	case "lognormal":
		v = float64(d.Median) * math.Exp(r.NormFloat64()*d.Sigma)
	case "pareto":
		v = float64(d.Min) / math.Pow(1-r.Float64(), 1/d.Alpha)
	}
	if d.Kind != "uniform" && d.Max > 0 && v > float64(d.Max) {
		v = float64(d.Max)
	}
	if v < 0 || math.IsNaN(v) {
		v = 0
	}
	if v > float64(math.MaxInt64/2) {
		v = float64(math.MaxInt64 / 2)
	}
	return time.Duration(v)
}

// Mean is the distribution's mean (before any cap), for documentation and
// sanity checks.
func (d DurationDist) MeanValue() time.Duration {
	switch d.Kind {
	case "uniform":
		return (d.Min.D() + d.Max.D()) / 2
	case "exponential", "normal":
		return d.Mean.D()
	case "lognormal":
		return time.Duration(float64(d.Median) * math.Exp(d.Sigma*d.Sigma/2))
	case "pareto":
		if d.Alpha <= 1 {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(float64(d.Min) * d.Alpha / (d.Alpha - 1))
	}
	return d.Value.D()
}

func (d DurationDist) String() string {
	if d.Kind == "fixed" || d.Kind == "" {
		return d.Value.String()
	}
	return fmt.Sprintf("%s(mean %v)", d.Kind, d.MeanValue())
}

// UnmarshalYAML accepts a plain duration or a mapping (see DurationDist).
func (d *DurationDist) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := ParseDuration(n.Value)
		if err != nil {
			return err
		}
		*d = Fixed(v.D())
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("expected a duration or a distribution mapping, found a %s", kindName(n.Kind))
	}
	type plain DurationDist
	var p plain
	known := map[string]bool{"dist": true, "value": true, "min": true, "max": true, "mean": true, "median": true, "stddev": true, "sigma": true, "alpha": true}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !known[k] {
			return fmt.Errorf("unknown key %q in distribution (want %s)", k, strings.Join([]string{"dist", "value", "min", "max", "mean", "median", "stddev", "sigma", "alpha"}, ", "))
		}
	}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = DurationDist(p)
	return d.Validate()
}
