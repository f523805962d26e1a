package clock

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The shard's timer store (wheel, run list and far heap, lazy deletion)
// against a model: arming, re-arming (armed or not), disarming and popping
// in any order, with deadlines on the wheel, past it and before its first
// slot, on a grid of 1 ns to 1 ms, it pops the armed timers in (deadline,
// arming) order, counts them exactly, and its stale entries never
// outnumber the live ones by more than the compaction slack.
func TestShardHeapModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		res := rapid.SampledFrom([]int64{1, 3, 1000, 1e6}).Draw(rt, "res")
		s := &shard{timerStore: timerStore{res: res}}
		// deadlines up to 3 wheel spans, clustered so that slots and
		// ticks are shared
		span := res * wheelSlots * 3
		n := rapid.IntRange(1, 40).Draw(rt, "timers")
		ts := make([]*batchedTimer, n)
		for i := range ts {
			ts[i] = &batchedTimer{}
		}
		type key struct {
			when int64
			arm  int // arming order
		}
		model := map[*batchedTimer]key{}
		arms := 0
		for step := range rapid.IntRange(0, 400).Draw(rt, "steps") {
			earliest := func() *batchedTimer {
				var want *batchedTimer
				for t, k := range model {
					if want == nil || k.when < model[want].when || (k.when == model[want].when && k.arm < model[want].arm) {
						want = t
					}
				}
				return want
			}
			switch op := rapid.IntRange(0, 3).Draw(rt, "op"); op {
			case 3: // the earliest if it is due by a grid step (the worker's view)
				limit := rapid.Int64Range(0, span/res+2).Draw(rt, "limit")
				want := earliest()
				if want != nil && (model[want].when+res-1)/res > limit {
					want = nil
				}
				if got := s.peekUntil(limit); got != want {
					rt.Fatalf("step %d: peekUntil(%d) %p, want %p", step, limit, got, want)
				}
				// a wake-up no later than the earliest deadline's grid
				// point (earlier for a slot of stale entries only)
				if next, ok := s.nextTick(); len(model) > 0 && (!ok || next > (model[earliest()].when+res-1)/res) {
					rt.Fatalf("step %d: next tick %d, %v for %d armed", step, next, ok, len(model))
				}
			case 0: // arm or re-arm
				t := ts[rapid.IntRange(0, n-1).Draw(rt, "timer")]
				if was := s.remove(t); was != (model[t] != key{}) {
					rt.Fatalf("step %d: remove reported %v, model armed %v", step, was, model[t] != key{})
				}
				t.when = rapid.Int64Range(0, span/50).Draw(rt, "when") * 50
				s.push(t)
				arms++
				model[t] = key{t.when, arms}
			case 1: // disarm
				t := ts[rapid.IntRange(0, n-1).Draw(rt, "timer")]
				if was := s.remove(t); was != (model[t] != key{}) {
					rt.Fatalf("step %d: remove reported %v, model armed %v", step, was, model[t] != key{})
				}
				delete(model, t)
			case 2: // pop the earliest
				got := s.peek()
				if want := earliest(); got != want {
					rt.Fatalf("step %d: peek %p, want %p", step, got, want)
				}
				if got != nil {
					s.pop()
					delete(model, got)
				}
			}
			if s.live != len(model) {
				rt.Fatalf("step %d: %d armed, model %d", step, s.live, len(model))
			}
			cnt := 0
			s.each(func(*heapEntry) { cnt++ })
			if cnt != s.entries {
				rt.Fatalf("step %d: store counts %d entries, holds %d", step, s.entries, cnt)
			}
			if stale := s.entries - s.live; stale > 64 && stale > s.live {
				rt.Fatalf("step %d: %d stale entries for %d armed: not compacted", step, stale, s.live)
			}
		}
		// drain: the rest come out in order
		var got []key
		for t := s.peek(); t != nil; t = s.peek() {
			got = append(got, model[t])
			s.pop()
		}
		if !slices.IsSortedFunc(got, func(a, b key) int {
			if a.when != b.when {
				return int(a.when - b.when)
			}
			return a.arm - b.arm
		}) {
			rt.Fatalf("drained out of order: %v", got)
		}
		if len(got) != len(model) {
			rt.Fatalf("drained %d, model had %d", len(got), len(model))
		}
	})
}

// A timer re-armed over and over while it is pending (a deadline pushed
// back on every write) leaves stale entries that compaction bounds.
func TestShardHeapResetWhilePendingBounded(t *testing.T) {
	s := &shard{timerStore: timerStore{res: int64(time.Millisecond)}}
	t1, t2 := &batchedTimer{}, &batchedTimer{}
	t2.when = 5
	s.push(t2)
	for i := range 100000 {
		s.remove(t1)
		t1.when = int64(i)
		s.push(t1)
	}
	if s.entries > 2*s.live+65 {
		t.Fatalf("store holds %d entries for %d armed timers", s.entries, s.live)
	}
	if got := s.peek(); got != t2 {
		t.Fatalf("earliest is not the timer due at 5")
	}
}

// A slot of a fleet's wheel holds hundreds of timers in no order (the
// counting pass and insertion sort of takeSlot): any number of them, with
// ties, due within one grid step, come out in (deadline, arming) order.
func TestShardStoreSortsASlot(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		res := rapid.SampledFrom([]int64{7, 1000, 1e6, 1e9}).Draw(rt, "res")
		s := &shard{timerStore: timerStore{res: res}}
		tick := rapid.Int64Range(0, 3*wheelSlots).Draw(rt, "tick")
		n := rapid.IntRange(1, 700).Draw(rt, "timers")
		distinct := rapid.Int64Range(1, res).Draw(rt, "distinct deadlines")
		ts := make([]*batchedTimer, n)
		for i := range ts {
			ts[i] = &batchedTimer{when: (tick-1)*res + 1 + rapid.Int64Range(0, distinct-1).Draw(rt, "offset")*(res/distinct)}
			s.push(ts[i])
		}
		prev := heapEntry{when: -1 << 62}
		for range n {
			got := s.peek()
			if got == nil {
				rt.Fatalf("store ran out")
			}
			e := heapEntry{when: got.when, seq: got.seq}
			if !before(&prev, &e) {
				rt.Fatalf("popped (%d, %d) after (%d, %d)", e.when, e.seq, prev.when, prev.seq)
			}
			prev = e
			s.pop()
		}
		if s.peek() != nil || s.live != 0 || s.entries != 0 {
			rt.Fatalf("store not empty: %d live, %d entries", s.live, s.entries)
		}
	})
}
