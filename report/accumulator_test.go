package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The report a run produces equals the one rebuilt from its results.jsonl.
func TestReportFromResultsEqualsLive(t *testing.T) {
	var buf bytes.Buffer
	live := baseSynth().run(t, &buf)
	again, err := ReadResults(Input{Name: "results.jsonl", R: &buf})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(mustJSON(t, live), mustJSON(t, again)); d != "" {
		t.Fatalf("report from results differs (-live +again):\n%s", d)
	}
	if live.Frames.Sent == 0 || live.LatencyMs.Ingest.Count == 0 || len(live.Timeline) != 9 {
		t.Fatalf("synthetic run looks empty: sent %d, ingest %d, windows %d", live.Frames.Sent, live.LatencyMs.Ingest.Count, len(live.Timeline))
	}
}

func checkIdentity(t *testing.T, what string, f Frames) {
	t.Helper()
	if f.Sent != f.Delivered+f.DroppedDevice+f.LostNetwork+f.RejectedCloud+f.InFlight {
		t.Errorf("%s: sent %d != delivered %d + dropped %d + lost %d + rejected %d + in flight %d",
			what, f.Sent, f.Delivered, f.DroppedDevice, f.LostNetwork, f.RejectedCloud, f.InFlight)
	}
}

func TestFrameAccountingIdentity(t *testing.T) {
	var buf bytes.Buffer
	rep := baseSynth().run(t, &buf)
	checkIdentity(t, "run", rep.Frames)
	var sum Frames
	for _, g := range rep.Groups {
		checkIdentity(t, "group "+g.Name, g.Frames)
		sum.Sent += g.Frames.Sent
		sum.InFlight += g.Frames.InFlight
	}
	if sum.Sent != rep.Frames.Sent || sum.InFlight != rep.Frames.InFlight {
		t.Errorf("groups do not add up to the run: %+v vs %+v", sum, rep.Frames)
	}
	if !rep.Accounting.OK || !rep.Accounting.DevicesChecked || rep.Frames.InFlight <= 0 {
		t.Errorf("accounting %+v, in flight %d", rep.Accounting, rep.Frames.InFlight)
	}
	// Per device, from the device lines.
	devs := 0
	for _, line := range strings.Split(buf.String(), "\n") {
		if !strings.HasPrefix(line, `{"type":"device"`) {
			continue
		}
		var d lineDevice
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		devs++
		if d.Sent != d.Delivered+d.DroppedDevice+d.LostNetwork+d.RejectedCloud+d.InFlight || d.InFlight < 0 {
			t.Errorf("device %d: %+v", d.Device, d.DeviceRow)
		}
	}
	if devs != 24 {
		t.Errorf("%d device lines, want 24", devs)
	}
}

func TestAccountingBugsAreSurfaced(t *testing.T) {
	tests := []struct {
		name      string
		obs       []observe.Observation
		double    int64
		negative  int64
		unknown   int64
		delivered int64
	}{
		{"clean", []observe.Observation{
			{Kind: observe.FrameSent, Device: 0, Seq: 1}, {Kind: observe.FrameDelivered, Device: 0, Seq: 1},
		}, 0, 0, 0, 1},
		{"double fate", []observe.Observation{
			{Kind: observe.FrameSent, Device: 0, Seq: 1}, {Kind: observe.FrameDelivered, Device: 0, Seq: 1},
			{Kind: observe.FrameLost, Device: 0, Seq: 1},
		}, 1, 0, 0, 1},
		{"same seq on another stream is not a double fate", []observe.Observation{
			{Kind: observe.FrameSent, Device: 0, Seq: 1}, {Kind: observe.FrameSent, Device: 0, Seq: 1, Stream: observe.Audio},
			{Kind: observe.FrameDelivered, Device: 0, Seq: 1}, {Kind: observe.FrameDelivered, Device: 0, Seq: 1, Stream: observe.Audio},
		}, 0, 0, 0, 2},
		{"fate without send", []observe.Observation{
			{Kind: observe.FrameDelivered, Device: 1, Seq: 7},
		}, 0, 1, 0, 1},
		{"unknown device", []observe.Observation{
			{Kind: observe.FrameSent, Device: 99, Seq: 1},
		}, 0, 0, 1, 0},
		{"double fate far apart", []observe.Observation{
			{Kind: observe.FrameSent, Device: 0, Seq: 1}, {Kind: observe.FrameSent, Device: 0, Seq: 400},
			{Kind: observe.FrameDelivered, Device: 0, Seq: 1}, {Kind: observe.FrameDelivered, Device: 0, Seq: 400},
			{Kind: observe.FrameDropped, Device: 0, Seq: 1},
		}, 1, 0, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acc, err := NewAccumulator(RunInfo{Scenario: "t", Groups: []Group{{Name: "g", Devices: []int{0, 1}}}}, clock.NewFake(clock.Epoch()), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range tc.obs {
				acc.Observe(o)
			}
			rep, err := acc.Finish(FinishInfo{})
			if err != nil {
				t.Fatal(err)
			}
			a := rep.Accounting
			if a.DoubleFates != tc.double || a.NegativeInFlightDevices != tc.negative || a.UnknownDevice != tc.unknown || rep.Frames.Delivered != tc.delivered {
				t.Fatalf("accounting %+v delivered %d", a, rep.Frames.Delivered)
			}
			wantOK := tc.double == 0 && tc.negative == 0
			if a.OK != wantOK || rep.Pass != wantOK {
				t.Fatalf("ok %v pass %v, want %v (fail reasons %q)", a.OK, rep.Pass, wantOK, rep.FailReasons)
			}
			checkIdentity(t, "run", rep.Frames)
		})
	}
}

// Observe is safe for concurrent use: many goroutines, one total.
func TestObserveConcurrent(t *testing.T) {
	const devices, frames = 64, 2000
	var groups []Group
	for g := 0; g < 4; g++ {
		grp := Group{Name: string(rune('a' + g))}
		for d := g; d < devices; d += 4 {
			grp.Devices = append(grp.Devices, d)
		}
		groups = append(groups, grp)
	}
	clk := clock.NewFake(clock.Epoch())
	acc, err := NewAccumulator(RunInfo{Scenario: "c", Groups: groups}, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for d := 0; d < devices; d++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := uint64(1); s <= frames; s++ {
				acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: d, Seq: s, Size: 100})
				acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: d, Seq: s, Size: 100, Value: time.Duration(s) * time.Millisecond})
			}
		}()
	}
	done := make(chan struct{})
	go func() { // windows close while observations flow
		for i := 0; i < 20; i++ {
			clk.Advance(time.Second)
			if err := acc.CloseWindow(); err != nil {
				t.Error(err)
			}
		}
		close(done)
	}()
	wg.Wait()
	<-done
	rep, err := acc.Finish(FinishInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames.Sent != devices*frames || rep.Frames.Delivered != devices*frames || rep.LatencyMs.Ingest.Count != devices*frames {
		t.Fatalf("frames %+v ingest count %d", rep.Frames, rep.LatencyMs.Ingest.Count)
	}
	if rep.LatencyMs.Ingest.Max == nil || *rep.LatencyMs.Ingest.Max != frames {
		t.Fatalf("max %v", rep.LatencyMs.Ingest.Max)
	}
	for _, g := range rep.Groups {
		if g.Frames.Sent != devices/4*frames {
			t.Errorf("group %s sent %d", g.Name, g.Frames.Sent)
		}
	}
}

// A killed run keeps what it saw: every closed window, even with the last
// line cut in half.
func TestKilledRunKeepsWindows(t *testing.T) {
	c := baseSynth()
	c.interrupt = true
	var buf bytes.Buffer
	c.run(t, &buf)
	full := buf.String()
	cut := full[:len(full)-40] // the last window line, cut short
	rep, err := ReadResults(Input{Name: "results.jsonl", R: strings.NewReader(cut)})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.Pass || rep.Frames.Sent == 0 || rep.Accounting.DevicesChecked {
		t.Fatalf("interrupted %v pass %v sent %d checked %v", rep.Interrupted, rep.Pass, rep.Frames.Sent, rep.Accounting.DevicesChecked)
	}
	if len(rep.Timeline) != 8 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "cut short") {
		t.Fatalf("timeline %d windows, warnings %q", len(rep.Timeline), rep.Warnings)
	}
	checkIdentity(t, "killed run", rep.Frames)
}

// Shards' results merge into the report of the unsharded run: counters and
// histograms exactly.
func TestShardsMergeExactly(t *testing.T) {
	var whole bytes.Buffer
	want := baseSynth().run(t, &whole)
	var ins []Input
	for i := 0; i < 3; i++ {
		c := baseSynth()
		c.shard = Shard{Index: i, Count: 3}
		var buf bytes.Buffer
		c.run(t, &buf)
		ins = append(ins, Input{Name: "shard", R: bytes.NewReader(buf.Bytes())})
	}
	got, err := ReadResults(ins...)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []struct {
		name      string
		want, got any
	}{
		{"blocks", want.Blocks, got.Blocks},
		{"groups", want.Groups, got.Groups},
		{"distributions", want.Distributions, got.Distributions},
		{"timeline", want.Timeline, got.Timeline},
		{"worst devices", want.WorstDevices, got.WorstDevices},
		{"thresholds", want.Thresholds, got.Thresholds},
		{"accounting", want.Accounting, got.Accounting},
	} {
		if d := cmp.Diff(mustJSON(t, part.want), mustJSON(t, part.got)); d != "" {
			t.Errorf("%s differ (-whole +merged):\n%s", part.name, d)
		}
	}
	if !got.Shards.Complete || len(got.Shards.Present) != 3 || got.Generator.CPUSeconds != 3*12.5 {
		t.Errorf("shards %+v cpu %v", got.Shards, got.Generator.CPUSeconds)
	}
	// A missing shard is said.
	c := baseSynth()
	c.shard = Shard{Index: 0, Count: 3}
	var buf bytes.Buffer
	c.run(t, &buf)
	part, err := ReadResults(Input{Name: "s0", R: &buf})
	if err != nil {
		t.Fatal(err)
	}
	if part.Shards.Complete || !strings.Contains(strings.Join(part.Warnings, " "), "1 of 3 shards") {
		t.Errorf("partial shards not flagged: %+v %q", part.Shards, part.Warnings)
	}
}

// A generator that cannot keep its schedule makes the report say that its
// latency figures are not trustworthy.
func TestGeneratorLagFlag(t *testing.T) {
	for _, tc := range []struct {
		lag     time.Duration
		trusted bool
	}{{2 * time.Millisecond, true}, {80 * time.Millisecond, false}} {
		acc, err := NewAccumulator(RunInfo{Scenario: "lag", Planned: 1}, clock.NewFake(clock.Epoch()), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1000; i++ {
			acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: 0, Value: tc.lag})
		}
		rep, err := acc.Finish(FinishInfo{})
		if err != nil {
			t.Fatal(err)
		}
		warned := strings.Contains(strings.Join(rep.Warnings, " "), "not trustworthy")
		if rep.Generator.Trustworthy != tc.trusted || warned == tc.trusted {
			t.Errorf("lag %v: trustworthy %v, warnings %q", tc.lag, rep.Generator.Trustworthy, rep.Warnings)
		}
	}
}
