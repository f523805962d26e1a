package clock

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// The shard's heap with lazy deletion against a model: arming, re-arming
// (armed or not), disarming and popping in any order, it pops the armed
// timers in (deadline, arming) order, counts them exactly, and its stale
// entries never outnumber the live ones by more than the compaction slack.
func TestShardHeapModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := &shard{}
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
			switch op := rapid.IntRange(0, 2).Draw(rt, "op"); op {
			case 0: // arm or re-arm
				t := ts[rapid.IntRange(0, n-1).Draw(rt, "timer")]
				if was := s.remove(t); was != (model[t] != key{}) {
					rt.Fatalf("step %d: remove reported %v, model armed %v", step, was, model[t] != key{})
				}
				t.when = rapid.Int64Range(0, 50).Draw(rt, "when")
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
				var want *batchedTimer
				for t, k := range model {
					if want == nil || k.when < model[want].when || (k.when == model[want].when && k.arm < model[want].arm) {
						want = t
					}
				}
				if got != want {
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
			if stale := len(s.q) - s.live; stale > 64 && stale > s.live {
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
	s := &shard{}
	t1, t2 := &batchedTimer{}, &batchedTimer{}
	t2.when = 5
	s.push(t2)
	for i := range 100000 {
		s.remove(t1)
		t1.when = int64(i)
		s.push(t1)
	}
	if len(s.q) > 2*s.live+65 {
		t.Fatalf("heap holds %d entries for %d armed timers", len(s.q), s.live)
	}
	if got := s.peek(); got != t2 {
		t.Fatalf("earliest is not the timer due at 5")
	}
}
