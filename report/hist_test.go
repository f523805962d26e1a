package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// Percentiles against exact computation on random data: the reported value
// lies between the exact order statistic and that value plus the stated
// relative error (HistogramRelativeError), for every distribution.
func TestPercentilesWithinStatedError(t *testing.T) {
	dists := []struct {
		name string
		draw func(r *rand.Rand) time.Duration
	}{
		{"lognormal", func(r *rand.Rand) time.Duration {
			return time.Duration(120 * math.Exp(0.6*r.NormFloat64()) * float64(time.Millisecond))
		}},
		{"uniform", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(3 * time.Second))) }},
		{"exponential", func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * float64(40*time.Millisecond)) }},
		{"bimodal with tail", func(r *rand.Rand) time.Duration {
			switch u := r.Float64(); {
			case u < 0.6:
				return time.Duration((20 + 5*r.NormFloat64()) * float64(time.Millisecond))
			case u < 0.995:
				return time.Duration((300 + 50*r.NormFloat64()) * float64(time.Millisecond))
			}
			return time.Duration(r.Int64N(int64(50 * time.Second)))
		}},
		{"sub-millisecond", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(900 * time.Microsecond))) }},
	}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			r := rng.New(7, "percentiles", d.name)
			acc, err := NewAccumulator(RunInfo{Scenario: "p", Groups: []Group{{Name: "g", Devices: []int{0, 1, 2, 3}}}}, clock.NewFake(clock.Epoch()), nil)
			if err != nil {
				t.Fatal(err)
			}
			const n = 100_000
			exact := make([]int64, 0, n)
			var sum int64
			for i := 0; i < n; i++ {
				v := d.draw(r).Truncate(time.Microsecond)
				if v < 0 {
					v = 0
				}
				us := int64(v / time.Microsecond)
				exact = append(exact, us)
				sum += us
				dev := i % 4
				acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: dev, Seq: uint64(i)})
				acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: dev, Seq: uint64(i), Value: v})
			}
			rep, err := acc.Finish(FinishInfo{})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(exact)
			s := rep.LatencyMs.Ingest
			if s.Count != n {
				t.Fatalf("count %d", s.Count)
			}
			for _, q := range []struct {
				pct float64
				got *float64
			}{{50, s.P50}, {90, s.P90}, {99, s.P99}, {99.9, s.P999}} {
				rank := int(math.Max(1, math.Min(n, math.Floor(q.pct/100*n+0.5))))
				want := exact[rank-1]
				got := int64(math.Round(*q.got * 1000))
				hi := want + int64(float64(want)*HistogramRelativeError) + 1
				if got < want || got > hi {
					t.Errorf("p%v = %d µs, exact %d µs, allowed [%d, %d]", q.pct, got, want, want, hi)
				}
			}
			if got := int64(math.Round(*s.Max * 1000)); got != exact[n-1] {
				t.Errorf("max %d µs, exact %d µs", got, exact[n-1])
			}
			mean := float64(sum) / n / 1000
			if math.Abs(*s.Mean-mean) > mean*HistogramRelativeError+0.001 {
				t.Errorf("mean %v ms, exact %v ms", *s.Mean, mean)
			}
		})
	}
}

// Sparse histograms re-recorded give the same histogram; bad ones are errors.
func TestSparseRoundTripAndValidation(t *testing.T) {
	h := newHist()
	r := rng.New(1, "sparse")
	for i := 0; i < 10000; i++ {
		_ = h.RecordValue(r.Int64N(histHighest))
	}
	_ = h.RecordValues(0, 3)
	_ = h.RecordValues(histHighest, 2)
	s := toSparse(h)
	back := newHist()
	if err := s.addTo(back); err != nil {
		t.Fatal(err)
	}
	if !h.Equals(back) {
		t.Fatal("sparse round trip changed the histogram")
	}
	for _, bad := range []sparse{
		{1},
		{5, 1, 5, 1},
		{5, 1, 4, 1},
		{-1, 1},
		{histHighest + 1, 1},
		{5, 0},
		{5, -3},
		{1, math.MaxInt64, 2, 1},
	} {
		if err := bad.addTo(newHist()); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
