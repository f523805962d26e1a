package source

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// lender is a Lender that copies what it keeps (av.Frame.Clone), or, with
// keep, keeps the lent frame itself (a sink breaking its promise).
type lender struct {
	got  []*av.Frame
	lent []*av.Frame // the pointers it was given
	keep bool
}

func (l *lender) Frame(f *av.Frame, _ time.Duration) {
	l.lent = append(l.lent, f)
	if l.keep {
		l.got = append(l.got, f)
		return
	}
	l.got = append(l.got, f.Clone())
}

func (*lender) LendsFrames() bool { return true }

// start starts a source of the quickstart profile for device, with sink,
// on a fake clock.
func start(t testing.TB, device, seed uint64, sink Sink) (*Source, *clock.Fake) {
	sh, err := NewShared(quickstart())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(clock.Epoch())
	s := New(sh, device, clk, rng.New(seed), sink)
	s.Start(context.Background())
	return s, clk
}

// run runs a source with sink for d.
func run(t testing.TB, sink Sink, d time.Duration) {
	s, clk := start(t, 9, 5, sink)
	clk.Advance(d)
	s.Stop()
}

// A lending source emits the same frames as one that gives them away
// (fields, NAL units, bytes), from one frame struct, which it clears after
// each call: a sink that keeps the lent frame finds it empty.
func TestLentFramesAreTheSameFrames(t *testing.T) {
	var given collected
	run(t, &given, 10*time.Second)
	want := append(append([]*av.Frame{}, given.video...), given.audio...)

	var l lender
	run(t, &l, 10*time.Second)
	var gotV, gotA []*av.Frame
	for _, f := range l.got {
		if f.Codec.IsVideo() {
			gotV = append(gotV, f)
		} else {
			gotA = append(gotA, f)
		}
	}
	got := append(gotV, gotA...)
	if len(got) != len(want) || len(got) < 300 {
		t.Fatalf("lent %d frames, given %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Codec != g.Codec || w.Seq != g.Seq || w.PTS != g.PTS || w.DTS != g.DTS || w.Key != g.Key ||
			!w.Capture.Equal(g.Capture) || !bytes.Equal(w.Payload, g.Payload) || len(w.NALUs) != len(g.NALUs) {
			t.Fatalf("frame %d: lent %+v, given %+v", i, g, w)
		}
		for j := range w.NALUs {
			if !bytes.Equal(w.NALUs[j], g.NALUs[j]) {
				t.Fatalf("frame %d NAL unit %d differs", i, j)
			}
		}
	}
	for _, p := range l.lent[1:] {
		if p != l.lent[0] {
			t.Fatal("a lending source gave out more than one frame struct")
		}
	}

	var k lender
	k.keep = true
	run(t, &k, time.Second)
	if f := k.got[0]; f.Seq != 0 || f.Codec != av.CodecUnknown || f.NALUs != nil || f.Payload != nil {
		t.Fatalf("a kept lent frame still reads %+v after the call", f)
	}
}

// A lending source allocates nothing per frame but its stamps (a block
// per four video frames); one that gives frames away allocates their
// structs and NAL unit lists too (in blocks, so few allocations, but
// bytes the collector has to find dead).
func TestLendingSourceAllocations(t *testing.T) {
	measure := func(sink Sink) (allocs, bytes float64) {
		s, clk := start(t, 1, 1, sink)
		defer s.Stop()
		clk.Advance(5 * time.Second) // sizes of lists and blocks settle
		// MemStats counts the whole process: the least of three windows
		// leaves out what other goroutines (the test runner's) allocate
		const secs = 20
		allocs, bytes = math.Inf(1), math.Inf(1)
		for range 3 {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range secs {
				clk.Advance(time.Second)
			}
			runtime.ReadMemStats(&after)
			allocs = min(allocs, float64(after.Mallocs-before.Mallocs)/secs)
			bytes = min(bytes, float64(after.TotalAlloc-before.TotalAlloc)/secs)
		}
		return allocs, bytes
	}
	var n int
	la, lb := measure(&countingLender{n: &n})
	ga, gb := measure(SinkFunc(func(*av.Frame, time.Duration) { n++ }))
	t.Logf("per camera-second: lending %.1f allocations, %.0f B; giving %.1f allocations, %.0f B", la, lb, ga, gb)
	// 15 video frames a second: their stamps take 4 blocks
	if la > 5 || lb > 1024 {
		t.Errorf("lending: %.1f allocations, %.0f B per camera-second; want ≤ 5 and ≤ 1 KiB (the stamps)", la, lb)
	}
	if gb < 4*lb {
		t.Errorf("giving: %.0f B per camera-second against %.0f B lending: lending should save most", gb, lb)
	}
}

// countingLender is a Lender that counts.
type countingLender struct{ n *int }

func (c *countingLender) Frame(*av.Frame, time.Duration) { *c.n++ }
func (*countingLender) LendsFrames() bool                { return true }
