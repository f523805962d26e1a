package rng

import "testing"

func TestSameLabelsSameStream(t *testing.T) {
	a, b := New(42, "cam-0001", "up"), New(42, "cam-0001", "up")
	for i := 0; i < 100; i++ {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("draw %d differs: %d vs %d", i, x, y)
		}
	}
}

func TestDifferentLabelsDiffer(t *testing.T) {
	cases := [][2][]string{
		{{"cam-0001", "up"}, {"cam-0002", "up"}},
		{{"cam-0001", "up"}, {"cam-0001", "down"}},
		{{"ab", "c"}, {"a", "bc"}},
	}
	for _, c := range cases {
		if Seed(42, c[0]...) == Seed(42, c[1]...) {
			t.Errorf("%v and %v share a seed", c[0], c[1])
		}
	}
	if Seed(1, "x") == Seed(2, "x") {
		t.Error("run seeds 1 and 2 share a seed")
	}
}
