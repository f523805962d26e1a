package firmware

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// recorder logs hook calls with their time offset from the epoch.
type recorder struct {
	clk   *clock.Fake
	calls []string
	open  map[int]time.Time
	lens  []time.Duration
	pre   []time.Duration
}

func newRecorder(clk *clock.Fake) *recorder { return &recorder{clk: clk, open: map[int]time.Time{}} }

func (r *recorder) log(format string, a ...any) {
	r.calls = append(r.calls, fmt.Sprintf("%v ", r.clk.Now().Sub(clock.Epoch()))+fmt.Sprintf(format, a...))
}
func (r *recorder) EventStart(id int, pre time.Duration) {
	r.log("start %d pre=%v", id, pre)
	if _, dup := r.open[id]; dup {
		r.calls = append(r.calls, "ERROR double start")
	}
	r.open[id] = r.clk.Now()
	r.pre = append(r.pre, pre)
}
func (r *recorder) EventStop(id int) {
	r.log("stop %d", id)
	st, ok := r.open[id]
	if !ok {
		r.calls = append(r.calls, "ERROR stop without start")
	}
	delete(r.open, id)
	r.lens = append(r.lens, r.clk.Now().Sub(st))
}
func (r *recorder) Motion(on bool)             { r.log("motion %v", on) }
func (r *recorder) LiveView(on bool, trig int) { r.log("live %v %d", on, trig) }
func (r *recorder) PollPlan()                  { r.log("poll") }
func (r *recorder) Reboot(d time.Duration) {
	r.log("reboot %v", d)
	clear(r.open) // the device's SDK is torn down with its events
}
func (r *recorder) NetworkDrop(d time.Duration)     { r.log("drop %v", d) }
func (r *recorder) ClockCorrection(o time.Duration) { r.log("clock %v", o) }

func run(t *testing.T, cfg Config, seed uint64, d time.Duration) *recorder {
	t.Helper()
	clk := clock.NewFake(clock.Epoch())
	rec := newRecorder(clk)
	fw := New(cfg, clk, rng.New(seed, "dev-1", "firmware"), rec)
	fw.Start(context.Background())
	clk.Advance(d)
	fw.Stop()
	for _, c := range rec.calls {
		if strings.HasPrefix(c, "ERROR") {
			t.Fatalf("%s in\n%s", c, strings.Join(rec.calls, "\n"))
		}
	}
	return rec
}

func TestMotionEventHeldThenStopped(t *testing.T) {
	cfg := Config{Motion: MotionConfig{Rate: units.Frequency(1.0 / 3600), Duration: Fixed(20 * time.Second)}}
	rec := run(t, cfg, 1, 30*time.Hour)
	if len(rec.lens) < 10 {
		t.Fatalf("only %d events in 30 h at 1/h", len(rec.lens))
	}
	exact := 0
	for i, l := range rec.lens[:len(rec.lens)-1] {
		// alarms every 2 s while the 20 s episode lasts (last at 18 s) + 12 s
		// hold; an episode starting while the event is held extends it
		switch {
		case l == 30*time.Second:
			exact++
		case l < 30*time.Second:
			t.Errorf("event %d lasted %v, less than 18s of alarms + 12s hold", i, l)
		}
	}
	if exact < len(rec.lens)*3/4 {
		t.Errorf("only %d of %d events lasted exactly 30s", exact, len(rec.lens))
	}
}

func TestMotionEventCapped(t *testing.T) {
	cfg := Config{Motion: MotionConfig{Rate: units.Frequency(1.0 / 36000), Duration: Fixed(1000 * time.Second)}}
	rec := run(t, cfg, 3, 20*time.Hour)
	var capped int
	for _, l := range rec.lens {
		if l > 360*time.Second {
			t.Fatalf("event of %v exceeds the 360 s cap", l)
		}
		if l == 360*time.Second {
			capped++
		}
	}
	if capped == 0 {
		t.Fatalf("no capped event among %v", rec.lens)
	}
}

func TestMotionRateIsPoisson(t *testing.T) {
	cfg := Config{Motion: MotionConfig{Rate: units.Frequency(6.0 / 3600), Duration: Fixed(time.Second), Hold: time.Second}}
	const hours = 500
	rec := run(t, cfg, 7, hours*time.Hour)
	want := 6.0 * hours
	got := float64(len(rec.lens))
	// episodes that overlap an open event merge, so allow a few percent below
	if math.Abs(got-want) > 4*math.Sqrt(want)+0.02*want {
		t.Fatalf("%v events in %d h, want about %v", got, hours, want)
	}
}

func TestPreRecordSkippedNearPreviousStop(t *testing.T) {
	cfg := Config{Motion: MotionConfig{Rate: units.Frequency(1.0 / 20), Duration: Fixed(time.Second),
		Hold: time.Second, PreRecord: 5 * time.Second}}
	rec := run(t, cfg, 11, 2*time.Hour)
	var with, without int
	for _, p := range rec.pre {
		if p > 0 {
			with++
		} else {
			without++
		}
	}
	if with == 0 || without == 0 {
		t.Fatalf("pre-record on %d and skipped on %d events; want both at 1 event / 20 s", with, without)
	}
}

func TestSameSeedSameBehaviour(t *testing.T) {
	cfg := Config{
		Motion:    MotionConfig{Rate: units.Frequency(10.0 / 3600), Duration: expSampler(30 * time.Second)},
		LiveView:  LiveViewConfig{Rate: units.Frequency(2.0 / 3600)},
		PlanPoll:  PlanPollConfig{Interval: 30 * time.Minute, Jitter: time.Minute},
		Reboots:   OutageConfig{MTBF: 5 * time.Hour},
		WiFiDrops: OutageConfig{MTBF: 2 * time.Hour},
		Clock:     ClockConfig{Skew: 3 * time.Second, CorrectEvery: time.Hour},
	}
	a := strings.Join(run(t, cfg, 42, 24*time.Hour).calls, "\n")
	b := strings.Join(run(t, cfg, 42, 24*time.Hour).calls, "\n")
	c := strings.Join(run(t, cfg, 43, 24*time.Hour).calls, "\n")
	if a != b {
		t.Fatal("same seed gave different behaviour")
	}
	if a == c {
		t.Fatal("different seeds gave identical behaviour")
	}
	for _, want := range []string{"live true 104", "poll", "reboot", "drop", "clock 0s", "start 1"} {
		if !strings.Contains(a, want) {
			t.Errorf("24 h of behaviour has no %q", want)
		}
	}
}

func TestClockDriftAndCorrection(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	fw := New(Config{Clock: ClockConfig{Skew: 2 * time.Second, Drift: time.Second, CorrectEvery: 10 * time.Hour}},
		clk, rng.New(1), newRecorder(clk))
	fw.Start(context.Background())
	defer fw.Stop()
	clk.Advance(3 * time.Hour)
	if got := fw.ClockOffset(); got != 5*time.Second {
		t.Fatalf("offset after 3 h: %v, want 5s", got)
	}
	clk.Advance(7 * time.Hour)
	if got := fw.ClockOffset(); got != 0 {
		t.Fatalf("offset right after correction: %v", got)
	}
}

func TestStopClosesOpenEventAndCancelsTimers(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	rec := newRecorder(clk)
	fw := New(Config{Motion: MotionConfig{Rate: units.Frequency(1), Duration: Fixed(time.Hour)}}, clk, rng.New(5), rec)
	fw.Start(context.Background())
	clk.Advance(10 * time.Second)
	if len(rec.open) != 1 {
		t.Fatalf("open events %v", rec.open)
	}
	fw.Stop()
	if len(rec.open) != 0 {
		t.Fatal("Stop did not close the open event")
	}
	n := len(rec.calls)
	clk.Advance(time.Hour)
	if len(rec.calls) != n {
		t.Fatalf("hooks called after Stop: %v", rec.calls[n:])
	}
}

func TestContextCancelStops(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	fw := New(Config{PlanPoll: PlanPollConfig{Interval: time.Minute}}, clk, rng.New(5), newRecorder(clk))
	ctx, cancel := context.WithCancel(context.Background())
	fw.Start(ctx)
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !fw.Stopped() {
		if time.Now().After(deadline) {
			t.Fatal("firmware still running 5s after its context ended")
		}
		runtime.Gosched()
	}
	if clk.Pending() != 0 {
		t.Fatalf("%d timers still armed after stop", clk.Pending())
	}
}

// expSampler draws exponential durations with the given mean.
type expSampler time.Duration

func (e expSampler) Sample(r *rand.Rand) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(e))
}
