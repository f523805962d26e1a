package cloud

import (
	"bytes"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/google/go-cmp/cmp"
)

// TestParseSliceReaderIntoReusedInfo: a pooled info that held a longer
// slice (with other stamps and sizes) gets exactly what the whole-body
// parse returns, and its arrays are reused, not reallocated.
func TestParseSliceReaderIntoReusedInfo(t *testing.T) {
	m := newTestMedia(t)
	long, _, _ := m.ts(t, 0, 60, true, stampFor(3))
	tests := []struct {
		name string
		body []byte
	}{
		{"shorter, stamped", func() []byte { b, _, _ := m.ts(t, 30, 20, true, stampFor(5)); return b }()},
		{"unstamped, no audio", func() []byte { b, _, _ := m.ts(t, 0, 10, false, nil); return b }()},
		{"as long again", long},
	}
	var p MediaSliceParser
	var pool infoPool
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := pool.get()
			if err := p.ParseSliceReader(cloudapi.FormatTS, bytes.NewReader(long), in); err != nil {
				t.Fatal(err)
			}
			stamps, sizes := cap(in.Stamps), cap(in.VideoSizes)
			if err := p.ParseSliceReader(cloudapi.FormatTS, bytes.NewReader(tc.body), in); err != nil {
				t.Fatal(err)
			}
			want, err := p.ParseSlice(cloudapi.FormatTS, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, *in, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
				t.Errorf("reused info differs from the whole parse (-want +got):\n%s", d)
			}
			if cap(in.Stamps) != stamps || cap(in.VideoSizes) != sizes {
				t.Errorf("arrays reallocated: stamps cap %d → %d, sizes cap %d → %d", stamps, cap(in.Stamps), sizes, cap(in.VideoSizes))
			}
			pool.put(in)
		})
	}
}

// TestInfoPoolDropsLongSlices: an info that held more frames than the pool
// keeps is not pooled (its arrays go to the collector).
func TestInfoPoolDropsLongSlices(t *testing.T) {
	var pool infoPool
	big := &SliceInfo{Stamps: make([]FrameStamp, 0, maxPooledFrames+1)}
	pool.put(big)
	for range 10 { // sync.Pool may drop anything; it must never return big
		if got := pool.get(); got == big {
			t.Fatal("an info over maxPooledFrames came back from the pool")
		}
	}
	small := &SliceInfo{Stamps: make([]FrameStamp, 3), VideoFrames: 3, Unstamped: 1}
	pool.put(small)
	if got := pool.get(); got == small && (len(got.Stamps) != 0 || got.VideoFrames != 0 || got.Unstamped != 0) {
		t.Errorf("a pooled info keeps its counts: %+v", got)
	}
}
