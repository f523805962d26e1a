package scenarios

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
	"gopkg.in/yaml.v3"
)

// Offset is a signed duration ("-5s", "+2m", "90s"), for clock skews and
// steps.
type Offset time.Duration

// ParseOffset parses a signed duration; the magnitude uses units.Duration.
func ParseOffset(s string) (Offset, error) {
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(strings.TrimPrefix(t, "-"), "+")
	if t == "" {
		return 0, fmt.Errorf("offset %q: empty", s)
	}
	d, err := units.ParseDuration(t)
	if err != nil {
		return 0, err
	}
	if neg {
		return Offset(-d), nil
	}
	return Offset(d), nil
}

// D is the offset as a time.Duration.
func (o Offset) D() time.Duration { return time.Duration(o) }

func (o Offset) String() string { return time.Duration(o).String() }

func (*Offset) expected() string { return "a signed duration such as -5s, 0s or +2m" }

func (o *Offset) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "found %s; expected %s", found(n), o.expected())
		return
	}
	v, err := ParseOffset(n.Value)
	if err != nil {
		d.errorf(n, path, "found %s; expected %s (%v)", found(n), o.expected(), err)
		return
	}
	*o = v
}

// Distribution names.
const (
	DistFixed       = "fixed"
	DistUniform     = "uniform"
	DistNormal      = "normal"
	DistExponential = "exponential"
	DistLognormal   = "lognormal"
)

// DurationDist is a distribution of durations. Written either as one
// duration ("20s": always 20 s) or as a mapping:
//
//	{dist: fixed, value: 20s}
//	{dist: uniform, min: 5s, max: 60s}
//	{dist: normal, mean: 0s, stddev: 2s}
//	{dist: exponential, mean: 20s}
//	{dist: lognormal, mean: 20s, stddev: 10s}   (mean and stddev of the result)
type DurationDist struct {
	Dist   string         `yaml:"dist" enum:"fixed,uniform,normal,exponential,lognormal" doc:"fixed, uniform, normal, exponential or lognormal"`
	Value  Offset         `yaml:"value" doc:"fixed: the value"`
	Min    Offset         `yaml:"min" doc:"uniform: lower bound"`
	Max    Offset         `yaml:"max" doc:"uniform: upper bound"`
	Mean   Offset         `yaml:"mean" doc:"normal, exponential, lognormal: mean"`
	Stddev units.Duration `yaml:"stddev" doc:"normal, lognormal: standard deviation"`
}

// Fixed is a distribution that always gives d.
func Fixed(d time.Duration) DurationDist { return DurationDist{Dist: DistFixed, Value: Offset(d)} }

// IsZero reports whether the distribution was not given.
func (x DurationDist) IsZero() bool { return x == DurationDist{} }

func (*DurationDist) expected() string {
	return "a duration such as 20s, or {dist: fixed|uniform|normal|exponential|lognormal, value|min|max|mean|stddev: …}"
}

// distForm is DurationDist without its decoder, to decode the mapping form.
type distForm DurationDist

var distKeys = map[string][]string{
	DistFixed:       {"value"},
	DistUniform:     {"min", "max"},
	DistNormal:      {"mean", "stddev"},
	DistExponential: {"mean"},
	DistLognormal:   {"mean", "stddev"},
}

func (x *DurationDist) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		v, err := ParseOffset(n.Value)
		if err != nil {
			d.errorf(n, path, "found %s; expected %s (%v)", found(n), x.expected(), err)
			return
		}
		*x = DurationDist{Dist: DistFixed, Value: v}
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "found %s; expected %s", found(n), x.expected())
		return
	}
	var f distForm
	before := len(d.probs)
	d.decodeStruct(n, reflectValue(&f), path)
	if len(d.probs) > before {
		return
	}
	if f.Dist == "" {
		d.errorf(n, path, "missing key \"dist\"; expected fixed, uniform, normal, exponential or lognormal")
		return
	}
	need := distKeys[f.Dist]
	for _, k := range []string{"value", "min", "max", "mean", "stddev"} {
		p := join(path, k)
		wanted := contains(need, k)
		switch {
		case wanted && !d.has(p):
			d.errorf(n, path, "missing key %q; expected %s for dist %s", k, strings.Join(need, " and "), f.Dist)
		case !wanted && d.has(p):
			d.errorf(d.keys[p], p, "found %q with dist %s; expected only %s", k, f.Dist, strings.Join(need, " and "))
		}
	}
	switch f.Dist {
	case DistUniform:
		if d.has(join(path, "max")) && f.Max < f.Min {
			d.errorf(d.at(join(path, "max")), join(path, "max"), "found max %v below min %v; expected min ≤ max", f.Max, f.Min)
		}
	case DistExponential, DistLognormal:
		if d.has(join(path, "mean")) && f.Mean <= 0 {
			d.errorf(d.at(join(path, "mean")), join(path, "mean"), "found %v; expected a positive mean for dist %s", f.Mean, f.Dist)
		}
	}
	*x = DurationDist(f)
}

// MinValue is the smallest value the distribution can give (normal and
// lognormal: mean − 4σ, which sampling clamps to).
func (x DurationDist) MinValue() time.Duration {
	switch x.Dist {
	case DistFixed:
		return x.Value.D()
	case DistUniform:
		return x.Min.D()
	case DistNormal:
		return x.Mean.D() - 4*x.Stddev.D()
	}
	return 0
}

// Sample draws one value. Normal draws are clamped to mean ± 4σ so that a
// draw never runs away; exponential and lognormal are non-negative.
func (x DurationDist) Sample(r *rand.Rand) time.Duration {
	switch x.Dist {
	case DistFixed:
		return x.Value.D()
	case DistUniform:
		lo, hi := x.Min.D(), x.Max.D()
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
	case DistNormal:
		z := math.Max(-4, math.Min(4, r.NormFloat64()))
		return x.Mean.D() + time.Duration(z*float64(x.Stddev))
	case DistExponential:
		return time.Duration(r.ExpFloat64() * float64(x.Mean))
	case DistLognormal:
		m, s := float64(x.Mean), float64(x.Stddev)
		sigma2 := math.Log(1 + s*s/(m*m))
		mu := math.Log(m) - sigma2/2
		return time.Duration(math.Exp(mu + math.Sqrt(sigma2)*r.NormFloat64()))
	}
	return 0
}

func (x DurationDist) String() string {
	switch x.Dist {
	case DistFixed:
		return x.Value.String()
	case DistUniform:
		return fmt.Sprintf("uniform(%v, %v)", x.Min, x.Max)
	case DistNormal:
		return fmt.Sprintf("normal(%v, %v)", x.Mean, x.Stddev)
	case DistExponential:
		return fmt.Sprintf("exponential(%v)", x.Mean)
	case DistLognormal:
		return fmt.Sprintf("lognormal(%v, %v)", x.Mean, x.Stddev)
	}
	return "none"
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
