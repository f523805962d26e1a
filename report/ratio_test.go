package report

import "testing"

func TestRatioNeverRoundsToZeroOrOne(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want float64
	}{
		{0, 0, 0},
		{0, 10, 0},
		{10, 10, 1},
		{1, 3, 0.333333},
		{2, 3, 0.666667},
		{1, 5_349_826, 1.0 / 5_349_826}, // one frame lost in 5.3 M: not 0
		{5_349_825, 5_349_826, 5_349_825.0 / 5_349_826}, // not 1 either
		{1, 2_000_000, 1e-6},                            // rounds to a nonzero value: rounded
	} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%d, %d) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
