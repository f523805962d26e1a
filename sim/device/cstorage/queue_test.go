package cstorage

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// The queue keeps copies: the caller's frame struct and NAL unit list are
// reused (and wiped) after every push, as a lending source does, and what
// comes out is what went in — across the compactions of both FIFOs, in
// random runs of pushes and pops against a plain slice of clones.
func TestFrameQueueKeepsCopies(t *testing.T) {
	units := [][]byte{[]byte("sps"), []byte("pps"), []byte("sei"), []byte("idr slice"), []byte("p slice"), []byte("filler")}
	audio := []byte("aac")
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		var q frameQueue
		var model []*av.Frame
		var lent av.Frame
		var lentNALUs [][]byte
		seq := uint64(0)
		for step := 0; step < 3000; step++ {
			// pushes outnumber pops early, then the queue drains and refills
			push := len(model) == 0 || r.IntN(100) < 55-(step/500)%2*20
			if push {
				lentNALUs = lentNALUs[:0]
				if r.IntN(3) == 0 {
					lent = av.Frame{Codec: av.AAC, Seq: seq, Key: true, PTS: time.Duration(seq), Payload: audio}
				} else {
					for range 1 + r.IntN(6) {
						lentNALUs = append(lentNALUs, units[r.IntN(len(units))])
					}
					lent = av.Frame{Codec: av.H264, Seq: seq, Key: r.IntN(10) == 0, PTS: time.Duration(seq), NALUs: lentNALUs}
				}
				seq++
				model = append(model, lent.Clone())
				q.push(&lent, int64(seq))
				// the lender wipes its frame and list
				clear(lentNALUs)
				lent = av.Frame{}
				continue
			}
			if i := r.IntN(len(model)); r.IntN(4) == 0 {
				f, _ := q.peek(i)
				sameFrame(t, f, model[i])
			}
			f, utc := q.pop()
			sameFrame(t, f, model[0])
			if utc != int64(model[0].Seq+1) {
				t.Fatalf("popped frame %d with utc %d", model[0].Seq, utc)
			}
			model = model[1:]
			if q.len() != len(model) {
				t.Fatalf("len %d, model %d", q.len(), len(model))
			}
		}
		var n int
		q.each(func(f *av.Frame) { sameFrame(t, f, model[n]); n++ })
		if n != len(model) {
			t.Fatalf("each visited %d of %d", n, len(model))
		}
		var want int
		for _, f := range model {
			want += f.Size()
		}
		if int(q.bytes) != want {
			t.Fatalf("bytes %d, want %d", q.bytes, want)
		}
	}
}

func sameFrame(t *testing.T, got, want *av.Frame) {
	t.Helper()
	if got.Seq != want.Seq || got.Codec != want.Codec || got.Key != want.Key || got.PTS != want.PTS ||
		string(got.Payload) != string(want.Payload) || len(got.NALUs) != len(want.NALUs) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.NALUs {
		if string(got.NALUs[i]) != string(want.NALUs[i]) {
			t.Fatalf("frame %d unit %d: %q, want %q", want.Seq, i, got.NALUs[i], want.NALUs[i])
		}
	}
}

// A steady stream through the queue allocates nothing once its arrays
// have grown.
func TestFrameQueueSteadyStateAllocatesNothing(t *testing.T) {
	var q frameQueue
	nalus := [][]byte{[]byte("sei"), []byte("slice"), []byte("filler")}
	f := av.Frame{Codec: av.H264, NALUs: nalus}
	step := func() {
		for range 40 {
			q.push(&f, 1)
		}
		for q.len() > 10 {
			q.pop()
		}
	}
	for range 10 {
		step()
	}
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Errorf("%.1f allocations per 40 frames through the queue, want 0", a)
	}
}

// A queue that grew past keepQueued keeps its arrays while its fills stay
// as large (no regrowth from nothing on every fill), and lets them go
// after the first fill that uses less than a quarter of them.
func TestFrameQueueKeepsArraysItUses(t *testing.T) {
	f := av.Frame{Codec: av.H264, NALUs: [][]byte{[]byte("sei"), []byte("slice")}}
	tests := []struct {
		name  string
		fills []int  // frames pushed, then all popped, per fill
		kept  []bool // whether the arrays survive the empty that starts the next fill
	}{
		{"small fills", []int{100, 200, 50}, []bool{true, true}},
		{"saturated: every fill as large", []int{1000, 900, 1100, 1000}, []bool{true, true, true}},
		{"outage backlog, then steady", []int{2000, 100, 100}, []bool{true, false, true}},
		{"backlog shrinking by halves", []int{2000, 1000, 500, 250}, []bool{true, true, false}},
		{"backlog, then a quarter", []int{2000, 400, 100}, []bool{true, false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q frameQueue
			for i, n := range tc.fills {
				if i > 0 {
					before := &q.q[:1][0]
					q.push(&f, 0) // empties the drained queue first
					if kept := &q.q[0] == before; kept != tc.kept[i-1] {
						t.Errorf("fill %d (%d frames) after %d: arrays kept %v, want %v (cap %d)", i, n, tc.fills[i-1], kept, tc.kept[i-1], cap(q.q))
					}
					n--
				}
				for range n {
					q.push(&f, 0)
				}
				for q.len() > 0 {
					q.pop()
				}
			}
		})
	}
}
