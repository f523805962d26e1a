package report

import (
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// synth describes a synthetic run: a deterministic observation stream shaped
// like a real one (ramp, frames with lognormal latency, loss, drops, events,
// slices, reconnects, watermarks, generator lag), on a Fake clock.
type synth struct {
	seed      uint64
	groups    []string
	perGroup  int
	duration  time.Duration
	fps       int
	lossProb  float64 // network loss per frame
	dropProb  float64 // device drops per frame
	medianMs  []float64
	thresh    map[string]string
	interrupt bool  // stop without Finish (a killed run)
	shard     Shard // emit only this shard's devices (zero: all)
}

func (c synth) info(t testing.TB) RunInfo {
	ri := RunInfo{Scenario: "synthetic", Seed: c.seed, Shard: c.shard}
	d := 0
	for _, g := range c.groups {
		grp := Group{Name: g}
		for i := 0; i < c.perGroup; i++ {
			if c.mine(d) {
				grp.Devices = append(grp.Devices, d)
			}
			d++
		}
		ri.Groups = append(ri.Groups, grp)
	}
	for _, name := range sortedKeys(c.thresh) {
		th, err := ParseThreshold(name, c.thresh[name])
		if err != nil {
			t.Fatal(err)
		}
		ri.Thresholds = append(ri.Thresholds, th)
	}
	return ri
}

func (c synth) mine(d int) bool { return c.shard.Count <= 1 || d%c.shard.Count == c.shard.Index }

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// run feeds the stream into a new accumulator writing results to w and
// returns the report (nil when the run is "killed").
func (c synth) run(t testing.TB, w io.Writer) *Report {
	t.Helper()
	clk := clock.NewFake(clock.Epoch())
	acc, err := NewAccumulator(c.info(t), clk, w)
	if err != nil {
		t.Fatal(err)
	}
	n := len(c.groups) * c.perGroup
	step := time.Second / time.Duration(c.fps)
	seq := make([]uint64, n)
	startAt := make([]time.Duration, n)
	rs := make([]*rand.Rand, n)
	for d := range startAt {
		rs[d] = rng.New(c.seed, "synth", strconv.Itoa(d))
		startAt[d] = time.Duration(rs[d].Int64N(int64(20 * time.Second)))
	}
	started := make([]bool, n)
	type pending struct {
		at time.Duration
		o  observe.Observation
	}
	var queue []pending
	nextWindow := DefaultWindow
	for now := time.Duration(0); now < c.duration; now += step {
		clk.Advance(step)
		at := clk.Now()
		for d := 0; d < n; d++ {
			if now < startAt[d] || !c.mine(d) {
				continue
			}
			r := rs[d]
			if !started[d] {
				started[d] = true
				acc.Observe(observe.Observation{At: at, Kind: observe.DeviceStarted, Device: d})
				acc.Observe(observe.Observation{At: at, Kind: observe.ConnAttempt, Device: d})
				if r.Float64() < 0.1 {
					acc.Observe(observe.Observation{At: at, Kind: observe.ConnFailed, Device: d, Code: 0x02, Reason: "dns"})
					acc.Observe(observe.Observation{At: at, Kind: observe.Reconnect, Device: d})
					acc.Observe(observe.Observation{At: at, Kind: observe.ConnAttempt, Device: d})
				}
				acc.Observe(observe.Observation{At: at, Kind: observe.ConnUp, Device: d})
			}
			g := d / c.perGroup
			seq[d]++
			key := seq[d]%30 == 1
			size := int64(2000)
			if key {
				size = 30000
			}
			acc.Observe(observe.Observation{At: at, Kind: observe.FrameSent, Device: d, Seq: seq[d], Size: size})
			acc.Observe(observe.Observation{At: at, Kind: observe.GeneratorLag, Device: d, Value: time.Duration(r.ExpFloat64() * float64(300*time.Microsecond))})
			u := r.Float64()
			switch {
			case u < c.dropProb:
				acc.Observe(observe.Observation{At: at, Kind: observe.FrameDropped, Device: d, Seq: seq[d], Reason: observe.ReasonBufferFull})
			case u < c.dropProb+c.lossProb:
				acc.Observe(observe.Observation{At: at, Kind: observe.FrameLost, Device: d, Seq: seq[d], Reason: observe.ReasonConnReset})
			case u < c.dropProb+c.lossProb+0.0005:
				acc.Observe(observe.Observation{At: at, Kind: observe.FrameRejected, Device: d, Seq: seq[d], Reason: observe.ReasonBadMedia})
			default:
				med := c.medianMs[g%len(c.medianMs)]
				lat := time.Duration(med * math.Exp(0.35*r.NormFloat64()) * float64(time.Millisecond))
				if d == 3 { // one slow device
					lat *= 4
				}
				queue = append(queue, pending{now + lat, observe.Observation{Kind: observe.FrameDelivered, Device: d, Seq: seq[d], Size: size, Value: lat}})
			}
			if r.Float64() < 0.002 { // motion event
				acc.Observe(observe.Observation{At: at, Kind: observe.EventStarted, Device: d, Seq: uint64(1 + r.IntN(32))})
				acc.Observe(observe.Observation{At: at, Kind: observe.EventFirstFrame, Device: d, Value: time.Duration((200 + 400*r.Float64()) * float64(time.Millisecond))})
				acc.Observe(observe.Observation{At: at, Kind: observe.EventReported, Device: d, OK: r.Float64() > 0.05})
			}
			if seq[d]%uint64(10*c.fps) == 0 { // a slice every 10 s
				acc.Observe(observe.Observation{At: at, Kind: observe.SliceCut, Device: d, Size: 650000})
				switch v := r.Float64(); {
				case v < 0.9:
					acc.Observe(observe.Observation{At: at, Kind: observe.SliceUploaded, Device: d, Value: time.Duration((300 + 900*r.Float64()) * float64(time.Millisecond))})
				case v < 0.97:
					acc.Observe(observe.Observation{At: at, Kind: observe.SliceFailed, Device: d, Reason: "upload_timeout"})
					acc.Observe(observe.Observation{At: at, Kind: observe.SliceBackfilled, Device: d})
				default:
					acc.Observe(observe.Observation{At: at, Kind: observe.SliceFailed, Device: d, Reason: "reply_timeout"})
					acc.Observe(observe.Observation{At: at, Kind: observe.SliceExpired, Device: d})
				}
			}
			if r.Float64() < 0.0005 {
				acc.Observe(observe.Observation{At: at, Kind: observe.Watermark, Device: d, Code: observe.LevelWarn + r.IntN(2)})
				acc.Observe(observe.Observation{At: at, Kind: observe.PushPaused, Device: d})
				acc.Observe(observe.Observation{At: at, Kind: observe.PushResumed, Device: d})
			}
			if r.Float64() < 0.0002 {
				acc.Observe(observe.Observation{At: at, Kind: observe.ConnClosed, Device: d, Reason: observe.ReasonConnReset})
				acc.Observe(observe.Observation{At: at, Kind: observe.Reconnect, Device: d})
				acc.Observe(observe.Observation{At: at, Kind: observe.ConnAttempt, Device: d})
				acc.Observe(observe.Observation{At: at, Kind: observe.ConnUp, Device: d})
			}
		}
		// Deliver what has arrived.
		kept := queue[:0]
		for _, p := range queue {
			if p.at <= now {
				p.o.At = at
				acc.Observe(p.o)
			} else {
				kept = append(kept, p)
			}
		}
		queue = kept
		if now+step >= nextWindow {
			if err := acc.CloseWindow(); err != nil {
				t.Fatal(err)
			}
			nextWindow += DefaultWindow
		}
	}
	if c.interrupt {
		return nil
	}
	rep, err := acc.Finish(FinishInfo{Generator: GeneratorStats{CPUSeconds: 12.5, PeakRSSBytes: 48 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// baseSynth is the run the golden files are made from.
func baseSynth() synth {
	return synth{
		seed: 42, groups: []string{"living-rooms", "shops"}, perGroup: 12,
		duration: 90 * time.Second, fps: 15, lossProb: 0.001, dropProb: 0.0005,
		medianMs: []float64{90, 160},
		thresh: map[string]string{
			"latency.ingest.p99":                 "< 1500ms",
			"frames.loss_ratio":                  "< 0.1%",
			"events.report_fail_ratio":           "<= 10%",
			"groups.shops.latency_ms.ingest.p50": "< 150ms",
		},
	}
}
