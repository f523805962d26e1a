package units

import (
	"math"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/rng"
	"gopkg.in/yaml.v3"
)

func TestDurationDistMeans(t *testing.T) {
	cases := []struct {
		yaml string
		mean time.Duration
	}{
		{"20s", 20 * time.Second},
		{"{dist: uniform, min: 10s, max: 30s}", 20 * time.Second},
		{"{dist: exponential, mean: 20s}", 20 * time.Second},
		{"{dist: normal, mean: 20s, stddev: 2s}", 20 * time.Second},
		{"{dist: lognormal, median: 20s, sigma: 0.5}", time.Duration(20e9 * math.Exp(0.125))},
		{"{dist: pareto, min: 10s, alpha: 3}", 15 * time.Second},
	}
	for _, c := range cases {
		var d DurationDist
		if err := yaml.Unmarshal([]byte(c.yaml), &d); err != nil {
			t.Fatalf("%s: %v", c.yaml, err)
		}
		if got := d.MeanValue(); absDur(got-c.mean) > time.Millisecond {
			t.Errorf("%s: MeanValue %v, want %v", c.yaml, got, c.mean)
		}
		r := rng.New(1, c.yaml)
		const n = 200000
		var sum float64
		for i := 0; i < n; i++ {
			sum += float64(d.Sample(r))
		}
		got := time.Duration(sum / n)
		if rel := math.Abs(float64(got-c.mean)) / float64(c.mean); rel > 0.02 {
			t.Errorf("%s: sample mean %v, want %v (±2%%)", c.yaml, got, c.mean)
		}
	}
}

func TestDurationDistRejects(t *testing.T) {
	for _, s := range []string{
		"{dist: weird, mean: 1s}",
		"{dist: uniform, min: 30s, max: 10s}",
		"{dist: exponential}",
		"{dist: exponential, mean: 1s, colour: red}",
		"[1s]",
		"20",
	} {
		var d DurationDist
		if err := yaml.Unmarshal([]byte(s), &d); err == nil {
			t.Errorf("%s accepted as %+v", s, d)
		}
	}
}

func TestDurationDistCap(t *testing.T) {
	var d DurationDist
	if err := yaml.Unmarshal([]byte("{dist: exponential, mean: 20s, max: 25s}"), &d); err != nil {
		t.Fatal(err)
	}
	r := rng.New(2)
	for i := 0; i < 10000; i++ {
		if v := d.Sample(r); v > 25*time.Second || v < 0 {
			t.Fatalf("draw %v outside [0, 25s]", v)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
