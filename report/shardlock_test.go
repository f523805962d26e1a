package report

import (
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// returnsSoon fails the test when f has not returned within a generous
// bound: f must not wait for a lock the test holds.
func returnsSoon(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s waited for a lock the test holds", what)
	}
}

func newTestAccumulator(t *testing.T, planned int) *Accumulator {
	t.Helper()
	acc, err := NewAccumulator(RunInfo{Scenario: "lock", Planned: planned}, clock.NewFake(clock.Epoch()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// An observer that finds its shard's lock taken leaves the observation to
// the holder and returns; the holder applies it before it lets go.
func TestObserveNeverWaitsForTheShardLock(t *testing.T) {
	acc := newTestAccumulator(t, 4)
	s := &acc.shards[0]
	acc.lockShard(s)
	returnsSoon(t, "Observe", func() {
		acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 0, Seq: 1, Size: 10})
		acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: 0, Seq: 1, Size: 10, Value: 3 * time.Millisecond})
		acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: 0, Value: time.Millisecond})
	})
	if s.pending.Load() == nil {
		t.Fatal("nothing pending while the lock was held")
	}
	acc.unlockShard(s)
	if s.pending.Load() != nil {
		t.Fatal("observations still pending after the holder let go")
	}
	rep, err := acc.Finish(FinishInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames.Sent != 1 || rep.Frames.Delivered != 1 || rep.LatencyMs.Ingest.Count != 1 || rep.Generator.LagMs.Count != 1 {
		t.Fatalf("frames %+v ingest %d lag %d", rep.Frames, rep.LatencyMs.Ingest.Count, rep.Generator.LagMs.Count)
	}
}

// Pending observations are applied in the order they were left: the first
// fate of a frame counts, the second is a double fate.
func TestPendingObservationsKeepTheirOrder(t *testing.T) {
	acc := newTestAccumulator(t, 1)
	s := &acc.shards[0]
	acc.lockShard(s)
	returnsSoon(t, "Observe", func() {
		acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 0, Seq: 7, Size: 10})
		acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: 0, Seq: 7, Size: 10, Value: time.Millisecond})
		acc.Observe(observe.Observation{Kind: observe.FrameLost, Device: 0, Seq: 7, Reason: "late"})
	})
	acc.unlockShard(s)
	rep, err := acc.Finish(FinishInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames.Delivered != 1 || rep.Frames.LostNetwork != 0 || rep.Accounting.DoubleFates != 1 {
		t.Fatalf("frames %+v double fates %d", rep.Frames, rep.Accounting.DoubleFates)
	}
}

// A full sample buffer does not wait for the histograms' lock: it buffers
// on (bounded by maxBuffered) and the samples land once the lock is free.
func TestSamplesBufferWhileTheHistogramsAreBusy(t *testing.T) {
	acc := newTestAccumulator(t, 1)
	acc.tmu.Lock()
	const n = maxBuffered - 1
	returnsSoon(t, "Observe past a full batch", func() {
		for i := 0; i < n; i++ {
			acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: 0, Value: time.Duration(i%50) * time.Millisecond})
		}
	})
	if got := len(acc.shards[0].buf); got != n {
		t.Fatalf("%d samples buffered, want %d", got, n)
	}
	acc.tmu.Unlock()
	acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: 0, Value: time.Millisecond})
	if got := len(acc.shards[0].buf); got != 0 {
		t.Fatalf("%d samples still buffered after the lock was free", got)
	}
	rep, err := acc.Finish(FinishInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Generator.LagMs.Count != n+1 {
		t.Fatalf("lag count %d, want %d", rep.Generator.LagMs.Count, n+1)
	}
}

// Many goroutines on one device (one shard, the lock always contended)
// while windows close and snapshots read: every observation counted once.
func TestCombiningCountsEveryObservationOnce(t *testing.T) {
	const writers, frames = 8, 3000
	acc := newTestAccumulator(t, 1)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < frames; i++ {
				seq := uint64(w*frames + i)
				acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 0, Seq: seq, Size: 1})
				acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: 0, Seq: seq, Size: 1, Value: time.Millisecond})
				acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: 0, Value: time.Millisecond})
			}
		}()
	}
	stop := make(chan struct{})
	closer := make(chan struct{})
	go func() {
		defer close(closer)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := acc.CloseWindow(); err != nil {
				t.Error(err)
				return
			}
			acc.liveTotals()
		}
	}()
	wg.Wait()
	close(stop)
	<-closer
	rep, err := acc.Finish(FinishInfo{})
	if err != nil {
		t.Fatal(err)
	}
	const total = writers * frames
	if rep.Frames.Sent != total || rep.Frames.Delivered != total || rep.LatencyMs.Ingest.Count != total || rep.Generator.LagMs.Count != total || rep.Accounting.DoubleFates != 0 {
		t.Fatalf("sent %d delivered %d ingest %d lag %d double %d, want %d each and 0 double",
			rep.Frames.Sent, rep.Frames.Delivered, rep.LatencyMs.Ingest.Count, rep.Generator.LagMs.Count, rep.Accounting.DoubleFates, total)
	}
	if s := &acc.shards[0]; s.pending.Load() != nil {
		t.Fatal("observations left pending")
	}
}
