package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every latency distribution. Values are
// microseconds from 0 to one hour with 3 significant digits: a recorded value
// v is reported as a value in [v, v·(1+1/1024)], a relative error below 0.1 %
// (plus at most 1 µs). Values above one hour are recorded as one hour and
// counted in accounting.over_range; negative values are recorded as 0 and
// counted in accounting.negative_values.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
	// HistogramRelativeError is the stated relative error of every reported
	// percentile.
	HistogramRelativeError = 1.0 / 1024
)

// metric names a distribution the accumulator keeps.
type metric uint8

const (
	mIngest metric = iota
	mEventFirstFrame
	mSliceUpload
	mGeneratorLag
	mLiveJitter
	numMetrics
)

var metricNames = [numMetrics]string{"ingest", "event_first_frame", "slice_upload", "generator_lag", "live_view_jitter"}

func parseMetric(s string) (metric, bool) {
	for i, n := range metricNames {
		if n == s {
			return metric(i), true
		}
	}
	return 0, false
}

// newHist is a dense histogram (about 190 KB): fast recording, for the open
// window and for scratch work.
func newHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histDigits) }

// newPacked is a sparse histogram of the same geometry whose memory follows
// the populated buckets: for totals, which are only merged into.
func newPacked() *hdr.PackedHistogram { return hdr.NewPacked(histLowest, histHighest, histDigits) }

// histogram is what the summaries need of a dense or a packed histogram.
type histogram interface {
	RecordValues(v, n int64) error
	TotalCount() int64
	ValueAtPercentile(percentile float64) int64
	Mean() float64
	Max() int64
}

// clampMicros converts a duration to histogram units and says whether it
// was out of range (negative or above one hour).
func clampMicros(d time.Duration) (v int64, negative, over bool) {
	v = int64(d / time.Microsecond)
	switch {
	case v < 0:
		return 0, true, false
	case v > histHighest:
		return histHighest, false, true
	}
	return v, false, false
}

// sparse is a histogram in the form written to results.jsonl and
// report.json: pairs of (bucket's lowest equivalent value in µs, count) in
// increasing value order, flattened as [v0, c0, v1, c1, ...]. Re-recording
// the pairs into a histogram of the same geometry reproduces it exactly, so
// shards merge exactly.
type sparse []int64

func toSparse(h histogram) sparse {
	if h.TotalCount() == 0 {
		return nil
	}
	var out sparse
	switch x := h.(type) {
	case *hdr.PackedHistogram:
		x.ForEachBucket(func(v, c int64) bool {
			if c != 0 {
				out = append(out, v, c)
			}
			return true
		})
	case *hdr.Histogram:
		for _, b := range x.Distribution() {
			if b.Count != 0 {
				out = append(out, b.From, b.Count)
			}
		}
	}
	return out
}

// validate checks a sparse histogram read from outside input.
func (s sparse) validate() error {
	if len(s)%2 != 0 {
		return fmt.Errorf("histogram: odd number of entries (%d)", len(s))
	}
	var total int64
	prev := int64(-1)
	for i := 0; i < len(s); i += 2 {
		v, c := s[i], s[i+1]
		if v < 0 || v > histHighest {
			return fmt.Errorf("histogram: value %d out of range [0, %d]", v, histHighest)
		}
		if v <= prev {
			return fmt.Errorf("histogram: values not increasing at %d", v)
		}
		if c <= 0 {
			return fmt.Errorf("histogram: count %d at value %d not positive", c, v)
		}
		if total > math.MaxInt64-c {
			return fmt.Errorf("histogram: total count overflows")
		}
		total += c
		prev = v
	}
	return nil
}

// addTo records the pairs into h (same geometry). Invalid input is an error
// and leaves h unchanged.
func (s sparse) addTo(h histogram) error {
	if err := s.validate(); err != nil {
		return err
	}
	if h.TotalCount() > math.MaxInt64-s.total() {
		return fmt.Errorf("histogram: merged total count overflows")
	}
	for i := 0; i < len(s); i += 2 {
		if err := h.RecordValues(s[i], s[i+1]); err != nil {
			return fmt.Errorf("histogram: %w", err)
		}
	}
	return nil
}

func (s sparse) total() int64 {
	var t int64
	for i := 1; i < len(s); i += 2 {
		t += s[i]
	}
	return t
}

func (s sparse) hist() *hdr.Histogram {
	h := newHist()
	if err := s.addTo(h); err != nil {
		return newHist()
	}
	return h
}

// Summary is the block every latency metric has in report.json: times in
// milliseconds; percentiles and max are null when count is 0.
type Summary struct {
	Count int64    `json:"count"`
	Mean  *float64 `json:"mean"`
	P50   *float64 `json:"p50"`
	P90   *float64 `json:"p90"`
	P99   *float64 `json:"p99"`
	P999  *float64 `json:"p999"`
	Max   *float64 `json:"max"`
}

func msPtr(us int64) *float64 { v := roundMs(float64(us) / 1000); return &v }

func roundMs(ms float64) float64 { return math.Round(ms*1000) / 1000 }

// summarize computes the summary of h; maxUS is the exact maximum recorded
// (the histogram's own max is only within its error).
func summarize(h histogram, maxUS int64) Summary {
	s := Summary{Count: h.TotalCount()}
	if s.Count == 0 {
		return s
	}
	mean := roundMs(h.Mean() / 1000)
	s.Mean = &mean
	s.P50 = msPtr(h.ValueAtPercentile(50))
	s.P90 = msPtr(h.ValueAtPercentile(90))
	s.P99 = msPtr(h.ValueAtPercentile(99))
	s.P999 = msPtr(h.ValueAtPercentile(99.9))
	if maxUS <= 0 {
		maxUS = h.Max()
	}
	s.Max = msPtr(maxUS)
	// A percentile is the top of its bucket; never report one above the
	// exact maximum.
	for _, p := range []**float64{&s.P50, &s.P90, &s.P99, &s.P999} {
		if **p > *s.Max {
			*p = msPtr(maxUS)
		}
	}
	return s
}

// MarshalJSON writes the pairs with values as gaps from the previous value
// ([v0, c0, v1-v0, c1, ...]): bucket values are close together, so the gaps
// are short numbers and results.jsonl stays small.
func (s sparse) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 8*len(s)+2)
	out = append(out, '[')
	prev := int64(0)
	for i, v := range s {
		if i > 0 {
			out = append(out, ',')
		}
		if i%2 == 0 {
			v, prev = v-prev, v
		}
		out = strconv.AppendInt(out, v, 10)
	}
	return append(out, ']'), nil
}

// UnmarshalJSON reads the gap form back to absolute values; gaps must be
// positive (after the first value) so values strictly increase.
func (s *sparse) UnmarshalJSON(b []byte) error {
	var raw []int64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw)%2 != 0 {
		return fmt.Errorf("histogram: odd number of entries (%d)", len(raw))
	}
	prev := int64(0)
	for i := 0; i < len(raw); i += 2 {
		g := raw[i]
		if g < 0 || (i > 0 && g == 0) || prev > math.MaxInt64-g {
			return fmt.Errorf("histogram: bad value gap %d", g)
		}
		prev += g
		raw[i] = prev
	}
	*s = raw
	return nil
}
