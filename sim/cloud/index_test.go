package cloud

import (
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

func at(s int) time.Time { return clock.Epoch().Add(time.Duration(s) * time.Second) }

func TestStorageIndexOverlap(t *testing.T) {
	type put struct{ start, end, wantOver int }
	cases := []struct {
		name string
		puts []put
		want [][2]int // ranges held at the end
	}{
		{"disjoint", []put{{0, 10, 0}, {20, 30, 0}, {10, 20, 0}}, [][2]int{{0, 10}, {10, 20}, {20, 30}}},
		{"touching is no overlap", []put{{0, 10, 0}, {10, 20, 0}}, [][2]int{{0, 10}, {10, 20}}},
		{"same range", []put{{0, 10, 0}, {0, 10, 1}}, [][2]int{{0, 10}}},
		{"partial left", []put{{10, 20, 0}, {5, 15, 1}}, [][2]int{{5, 15}, {15, 20}}},
		{"partial right", []put{{10, 20, 0}, {15, 25, 1}}, [][2]int{{10, 15}, {15, 25}}},
		{"inside splits", []put{{0, 30, 0}, {10, 20, 1}}, [][2]int{{0, 10}, {10, 20}, {20, 30}}},
		{"covers two", []put{{0, 10, 0}, {10, 20, 0}, {5, 15, 2}}, [][2]int{{0, 5}, {5, 15}, {15, 20}}},
		{"skew back over three", []put{{0, 10, 0}, {10, 20, 0}, {20, 30, 0}, {3, 27, 3}}, [][2]int{{0, 3}, {3, 27}, {27, 30}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := newStorageIndex(0)
			k := chanKey{"cam-1", 0}
			for i, p := range c.puts {
				over := x.Put(k, storedSlice{start: at(p.start), end: at(p.end), seq: uint64(i)})
				if len(over) != p.wantOver {
					t.Fatalf("put %d [%d,%d): %d overwritten, want %d", i, p.start, p.end, len(over), p.wantOver)
				}
			}
			got := x.Ranges(k)
			if len(got) != len(c.want) {
				t.Fatalf("ranges %v, want %v", got, c.want)
			}
			for i, r := range got {
				if !r.start.Equal(at(c.want[i][0])) || !r.end.Equal(at(c.want[i][1])) {
					t.Fatalf("range %d = [%v,%v), want %v", i, r.start, r.end, c.want[i])
				}
			}
			if other := x.Ranges(chanKey{"cam-1", 1}); len(other) != 0 {
				t.Fatalf("channel 1 holds %v", other)
			}
		})
	}
}

func TestStorageIndexDelete(t *testing.T) {
	x := newStorageIndex(0)
	x.Put(chanKey{"a", 0}, storedSlice{start: at(0), end: at(10)})
	x.Put(chanKey{"a", 1}, storedSlice{start: at(0), end: at(10)})
	x.Put(chanKey{"b", 0}, storedSlice{start: at(0), end: at(10)})
	if n := x.Delete("a"); n != 2 {
		t.Fatalf("deleted %d", n)
	}
	if len(x.Ranges(chanKey{"b", 0})) != 1 {
		t.Fatal("b lost its range")
	}
}

func TestStorageIndexRetention(t *testing.T) {
	x := newStorageIndex(time.Minute)
	k := chanKey{"cam-1", 0}
	for i := 0; i < 20; i++ { // 10 s slices
		x.Put(k, storedSlice{start: at(i * 10), end: at(i*10 + 10)})
	}
	got := x.Ranges(k)
	if len(got) != 7 || !got[0].end.Equal(at(140)) {
		t.Fatalf("kept %d ranges from %v", len(got), got[0].start)
	}
	// an overlap within the retention is still seen
	if over := x.Put(k, storedSlice{start: at(185), end: at(195)}); len(over) != 2 {
		t.Fatalf("overlap within retention: %d", len(over))
	}
}
