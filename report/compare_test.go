package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func synthReport(t *testing.T, c synth) *Report {
	t.Helper()
	var buf bytes.Buffer
	return c.run(t, &buf)
}

func TestCompareSelfNoRegression(t *testing.T) {
	r := goldenReport(t)
	c := Compare(r, r, DefaultCompareOptions())
	if len(c.Regressions) != 0 {
		t.Fatalf("self comparison regressed: %q", c.Regressions)
	}
	for _, k := range c.KS {
		if k.D != 0 || k.P != 1 || k.Regressed {
			t.Errorf("self KS %+v", k)
		}
	}
	if len(c.KS) != 3 {
		t.Errorf("%d KS tests, want 3", len(c.KS))
	}
}

func TestCompareFindsRegressions(t *testing.T) {
	base := goldenReport(t)
	lossy := baseSynth()
	lossy.lossProb = 0.02
	slow := baseSynth()
	slow.medianMs = []float64{180, 320}
	tests := []struct {
		name  string
		nu    *Report
		opts  func(*CompareOptions)
		want  []string
		clean bool
	}{
		{"added loss", synthReport(t, lossy), nil, []string{"frames.loss_ratio", "groups.shops.frames.loss_ratio"}, false},
		{"added loss within a generous absolute tolerance", synthReport(t, lossy), func(o *CompareOptions) {
			o.PerMetric["frames.loss_ratio"] = Tolerance{Absolute: 0.05, IsAbs: true}
			o.PerMetric["frames.delivered_ratio"] = Tolerance{Absolute: 0.05, IsAbs: true}
			o.PerMetric["groups.living-rooms.frames.loss_ratio"] = Tolerance{Absolute: 0.05, IsAbs: true}
			o.PerMetric["groups.shops.frames.loss_ratio"] = Tolerance{Absolute: 0.05, IsAbs: true}
		}, nil, true},
		{"slower", synthReport(t, slow), nil, []string{"latency_ms.ingest.p50", "latency_ms.ingest.p99", "latency_ms.ingest distribution"}, false},
		{"slower but tolerated", synthReport(t, slow), func(o *CompareOptions) { o.Relative = 2; o.KSMaxD = 1 }, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultCompareOptions()
			if tc.opts != nil {
				tc.opts(&o)
			}
			c := Compare(base, tc.nu, o)
			all := strings.Join(c.Regressions, "\n")
			if tc.clean && len(c.Regressions) != 0 {
				t.Fatalf("unexpected regressions:\n%s", all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w+":") && !strings.Contains(all, w+" ") {
					t.Errorf("regression %q not named in:\n%s", w, all)
				}
			}
			// The improvement direction is never a regression.
			back := Compare(tc.nu, base, o)
			for _, r := range back.Regressions {
				if strings.HasPrefix(r, "frames.loss_ratio") || strings.HasPrefix(r, "latency_ms.ingest.p50") {
					t.Errorf("improvement reported as regression: %s", r)
				}
			}
			var buf bytes.Buffer
			if err := WriteComparison(&buf, c); err != nil {
				t.Fatal(err)
			}
			if !tc.clean && !strings.Contains(buf.String(), "REGRESSION frames.loss_ratio") && !strings.Contains(buf.String(), "REGRESSION latency_ms.ingest") {
				t.Errorf("table does not name the regression:\n%s", buf.String())
			}
		})
	}
}

func TestParseTolerance(t *testing.T) {
	tests := []struct {
		spec   string
		ok     bool
		metric string
		want   Tolerance
		rel    float64
	}{
		{"10%", true, "", Tolerance{}, 0.10},
		{"0%", true, "", Tolerance{}, 0},
		{"latency_ms.ingest.p99=25%", true, "latency_ms.ingest.p99", Tolerance{Relative: 0.25}, 0.10},
		{"latency.ingest.p99=+50ms", true, "latency_ms.ingest.p99", Tolerance{Absolute: 50, IsAbs: true}, 0.10},
		{"frames.loss_ratio=+0.05%", true, "frames.loss_ratio", Tolerance{Absolute: 0.0005, IsAbs: true}, 0.10},
		{"10", false, "", Tolerance{}, 0},
		{"-5%", false, "", Tolerance{}, 0},
		{"nope.metric=5%", false, "", Tolerance{}, 0},
		{"frames.loss_ratio=0.05", false, "", Tolerance{}, 0},
		{"latency_ms.ingest.p99=+fast", false, "", Tolerance{}, 0},
	}
	for _, tc := range tests {
		o := DefaultCompareOptions()
		err := o.ParseTolerance(tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v, want ok=%v", tc.spec, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if tc.metric != "" && o.PerMetric[tc.metric] != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.spec, o.PerMetric[tc.metric], tc.want)
		}
		if o.Relative != tc.rel {
			t.Errorf("%q: relative %v, want %v", tc.spec, o.Relative, tc.rel)
		}
	}
}

// The KS p-value against known points of the Kolmogorov distribution:
// P(K > 1.3581) = 0.05 and P(K > 1.6276) = 0.01 for large samples.
func TestKSPValue(t *testing.T) {
	const n = 1_000_000
	ne := float64(n) / 2
	for _, tc := range []struct{ lambda, p float64 }{{1.3581, 0.05}, {1.6276, 0.01}, {0.5, 0.9639}} {
		d := tc.lambda / math.Sqrt(ne)
		if got := ksPValue(d, n, n); math.Abs(got-tc.p) > 0.001 {
			t.Errorf("λ=%v: p %v, want %v", tc.lambda, got, tc.p)
		}
	}
	if ksPValue(0, 10, 10) != 1 {
		t.Error("D=0 must give p=1")
	}
}
