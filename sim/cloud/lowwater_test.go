package cloud

import (
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// marks records the low-water marks a slice body sets, and the bytes the
// body still owed at each.
type marks struct {
	set, owed []int
	r         *failAfter
	total     int
}

func (m *marks) SetReadLowWater(n int) {
	m.set = append(m.set, n)
	m.owed = append(m.owed, m.total-(len(m.r.all)-len(m.r.data)))
}

// TestSliceBodyLowWater: a streamed slice body sets its connection's
// low-water mark to each read's size, never above what the body still owes
// (the next request's head must not be waited for), and clears it when the
// body is done, whether the slice is stored or its body breaks off.
func TestSliceBodyLowWater(t *testing.T) {
	m := newTestMedia(t)
	body, af, an := m.ts(t, 0, 30, true, stampFor(3))
	for _, tc := range []struct {
		name string
		r    func() *failAfter
		ok   bool
	}{
		{"whole", func() *failAfter { return &failAfter{data: body} }, true},
		{"short", func() *failAfter { return &failAfter{data: body[:len(body)/2]} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{}, clock.NewFake(clock.Epoch().Add(time.Minute)), observe.Discard{})
			s := cloudapi.SliceUpload{Device: "cam-3", Seq: 1, Format: cloudapi.FormatTS,
				UTCStart: clock.Epoch(), UTCEnd: clock.Epoch().Add(2 * time.Second),
				FrameSeqFirst: 0, FrameSeqLast: 29, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1}
			r := tc.r()
			r.all = r.data
			lw := &marks{r: r, total: len(body)}
			_, e := c.storeSliceStream(&s, MediaSliceParser{}, r, int64(len(body)), lw)
			if (e == nil) != tc.ok {
				t.Fatalf("store: %v, want ok %v", e, tc.ok)
			}
			if len(lw.set) < 2 || lw.set[len(lw.set)-1] != 0 {
				t.Fatalf("marks %v: want reads' marks, then 0", lw.set)
			}
			for i, n := range lw.set[:len(lw.set)-1] {
				if n <= 0 || n > lw.owed[i] {
					t.Fatalf("mark %d = %d with %d bytes owed", i, n, lw.owed[i])
				}
			}
		})
	}
}
