package scenarios

import (
	"math"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// One table of distribution vectors: the YAML form, what it decodes to (or
// the problem), and the mean and range of its samples.
var distVectors = []struct {
	src      string
	want     DurationDist
	err      string
	mean     time.Duration
	min, max time.Duration
}{
	{src: "20s", want: Fixed(20 * time.Second), mean: 20 * time.Second, min: 20 * time.Second, max: 20 * time.Second},
	{src: "-5s", want: Fixed(-5 * time.Second), mean: -5 * time.Second, min: -5 * time.Second, max: -5 * time.Second},
	{src: "{dist: fixed, value: 3s}", want: Fixed(3 * time.Second), mean: 3 * time.Second, min: 3 * time.Second, max: 3 * time.Second},
	{src: "{dist: uniform, min: 5s, max: 15s}", want: DurationDist{Dist: DistUniform, Min: Offset(5 * time.Second), Max: Offset(15 * time.Second)},
		mean: 10 * time.Second, min: 5 * time.Second, max: 15 * time.Second},
	{src: "{dist: normal, mean: 0s, stddev: 2s}", want: DurationDist{Dist: DistNormal, Stddev: 2e9},
		mean: 0, min: -8 * time.Second, max: 8 * time.Second},
	{src: "{dist: exponential, mean: 20s}", want: DurationDist{Dist: DistExponential, Mean: Offset(20 * time.Second)},
		mean: 20 * time.Second, min: 0, max: time.Hour},
	{src: "{dist: lognormal, mean: 20s, stddev: 10s}", want: DurationDist{Dist: DistLognormal, Mean: Offset(20 * time.Second), Stddev: 10e9},
		mean: 20 * time.Second, min: 0, max: time.Hour},
	{src: "twenty", err: `found "twenty"; expected a duration such as 20s`},
	{src: "[1s]", err: "found a list"},
	{src: "{dist: gamma, mean: 1s}", err: `found "gamma"; expected exponential, fixed, lognormal, normal or uniform`},
	{src: "{mean: 1s}", err: `missing key "dist"`},
	{src: "{dist: uniform, min: 1s}", err: `missing key "max"; expected min and max for dist uniform`},
	{src: "{dist: uniform, min: 2s, max: 1s}", err: "found max 1s below min 2s"},
	{src: "{dist: exponential, mean: 0s}", err: "expected a positive mean"},
	{src: "{dist: fixed, value: 1s, mean: 2s}", err: `found "mean" with dist fixed; expected only value`},
	{src: "{dist: normal, mean: 1s, stddev: -1s}", err: "stddev: found \"-1s\""},
}

func TestDurationDistVectors(t *testing.T) {
	for _, v := range distVectors {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(v.src), &n); err != nil {
			t.Fatal(err)
		}
		d := newDecoder("v.yaml")
		var got DurationDist
		d.decode(n.Content[0], reflectValue(&got), "x")
		if v.err != "" {
			if len(d.probs) == 0 || !containsStr(d.probs, v.err) {
				t.Errorf("%s: problems %v, want %q", v.src, d.probs, v.err)
			}
			continue
		}
		if len(d.probs) > 0 || got != v.want {
			t.Errorf("%s: %+v %v, want %+v", v.src, got, d.probs, v.want)
			continue
		}
		r := newTestRand(1)
		var sum float64
		const draws = 20000
		for i := 0; i < draws; i++ {
			x := got.Sample(r)
			if x < v.min || x > v.max {
				t.Fatalf("%s: sample %v outside [%v, %v]", v.src, x, v.min, v.max)
			}
			sum += float64(x)
		}
		mean := time.Duration(sum / draws)
		tol := time.Duration(0.03*math.Abs(float64(v.mean))) + 50*time.Millisecond
		if d := mean - v.mean; d > tol || d < -tol {
			t.Errorf("%s: sample mean %v, want %v ± %v", v.src, mean, v.mean, tol)
		}
	}
}

func containsStr(ps []Problem, s string) bool {
	for _, p := range ps {
		if stringsContains(p.String(), s) {
			return true
		}
	}
	return false
}

func TestOffsetAndResolution(t *testing.T) {
	for s, want := range map[string]time.Duration{"5s": 5 * time.Second, "-5s": -5 * time.Second, "+2m": 2 * time.Minute, "1d": 24 * time.Hour} {
		if got, err := ParseOffset(s); err != nil || got.D() != want {
			t.Errorf("ParseOffset(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "5", "--5s", "abc"} {
		if _, err := ParseOffset(s); err == nil {
			t.Errorf("ParseOffset(%q) succeeded", s)
		}
	}
	if r, err := ParseResolution("1920x1080"); err != nil || r != (Resolution{1920, 1080}) || r.String() != "1920x1080" {
		t.Errorf("1920x1080: %v %v", r, err)
	}
	for _, s := range []string{"1920", "x", "641x360", "8x8", "99999x2", "axb"} {
		if _, err := ParseResolution(s); err == nil {
			t.Errorf("ParseResolution(%q) succeeded", s)
		}
	}
}

func TestConditionSyntax(t *testing.T) {
	for s, ok := range map[string]bool{
		"< 1500ms": true, "<= 0.1%": true, "== 0": true, "> 99%": true, ">= 990": true, "!= 3": true, "<1.5s": true, "< 300MiB": true,
		"about 1500ms": false, "<": false, "< fast": false, "1500ms": false, "=< 0": false, "": false, "< 1 2": false,
	} {
		if err := checkCondition(s); (err == nil) != ok {
			t.Errorf("checkCondition(%q) = %v", s, err)
		}
	}
}
