package network

import (
	"fmt"
	"math"

	"gopkg.in/yaml.v3"
)

// Distribution names the shape of the delay jitter, as netem names its
// distribution tables.
type Distribution string

// Distributions. Jitter is the half-width for Uniform and the standard
// deviation for the others; every shape has mean Delay.
const (
	// Uniform: Delay ± Jitter (netem without "distribution").
	Uniform Distribution = "uniform"
	// Normal: Gaussian with mean Delay, deviation Jitter.
	Normal Distribution = "normal"
	// Pareto: Pareto with shape α=3 (netem's table), standardised to mean
	// Delay and deviation Jitter: a long right tail, a short left one.
	Pareto Distribution = "pareto"
	// ParetoNormal: netem's mix, a quarter normal and three quarters Pareto
	// (α=3), taken at the same quantile, standardised like Pareto.
	ParetoNormal Distribution = "paretonormal"
)

// ParseDistribution checks a distribution name; "" means Uniform.
func ParseDistribution(s string) (Distribution, error) {
	switch Distribution(s) {
	case "", Uniform:
		return Uniform, nil
	case Normal, Pareto, ParetoNormal:
		return Distribution(s), nil
	}
	return "", fmt.Errorf("unknown distribution %q (want uniform, normal, pareto or paretonormal)", s)
}

// UnmarshalYAML accepts only the known names.
func (d *Distribution) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a distribution name")
	}
	v, err := ParseDistribution(n.Value)
	if err == nil {
		*d = v
	}
	return err
}

// paretoAlpha is the shape of netem's Pareto table.
const paretoAlpha = 3.0

// Standardisation constants of Pareto(xm=1, α=3): mean α/(α-1), variance
// α/((α-1)²(α-2)).
var (
	paretoMean = paretoAlpha / (paretoAlpha - 1)
	paretoSD   = math.Sqrt(paretoAlpha / ((paretoAlpha - 1) * (paretoAlpha - 1) * (paretoAlpha - 2)))
)

// paretoNormalSD is the standard deviation of 0.25·Z(u) + 0.75·P(u) with Z
// and P standardised and comonotonic (same quantile u): the variance is
// 0.625 + 0.375·E[Z·P], with E[Z·P] ≈ 0.678 integrated numerically.
const paretoNormalSD = 0.9377

// Quantile maps u in (0,1) to a standardised value (mean 0, deviation 1;
// uniform has half-width 1 instead).
func (d Distribution) Quantile(u float64) float64 {
	switch d {
	case Normal:
		return normalQuantile(u)
	case Pareto:
		return paretoStd(u)
	case ParetoNormal:
		return (0.25*normalQuantile(u) + 0.75*paretoStd(u)) / paretoNormalSD
	}
	return 2*u - 1
}

func normalQuantile(u float64) float64 { return math.Sqrt2 * math.Erfinv(2*u-1) }

func paretoStd(u float64) float64 {
	// Pareto quantile: xm / (1-u)^(1/α).
	x := math.Pow(1-u, -1/paretoAlpha)
	return (x - paretoMean) / paretoSD
}
