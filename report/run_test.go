package report

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// syncBuffer is a results writer the test can read while Run writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Run closes a window per tick of the accumulator's clock and ends with
// Finish; each window line is flushed as it is written.
func TestRunClosesWindowsOnTheClock(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := clock.NewFake(clock.Epoch())
	var out syncBuffer
	acc, err := NewAccumulator(RunInfo{Scenario: "run", Planned: 2}, clk, &out)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- acc.Run(ctx) }()
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(out.String(), `"type":"window"`) < n {
			if time.Now().After(deadline) {
				t.Fatalf("no window %d after the clock advanced:\n%s", n, out.String())
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i := 1; i <= 3; i++ {
		for clk.Pending() == 0 { // the ticker exists once Run started
			time.Sleep(time.Millisecond)
		}
		acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: i % 2, Seq: uint64(i)})
		clk.Advance(DefaultWindow)
		waitFor(i)
	}
	rep, err := acc.Finish(FinishInfo{Generator: ProcessStats()})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Frames.Sent != 3 || len(rep.Timeline) != 3 || rep.Generator.CPUSeconds <= 0 || rep.Generator.PeakRSSBytes <= 0 {
		t.Fatalf("sent %d, %d windows, generator %+v", rep.Frames.Sent, len(rep.Timeline), rep.Generator)
	}
	if !strings.Contains(out.String(), `"type":"end"`) {
		t.Fatal("no end line")
	}
	if _, err := acc.Finish(FinishInfo{}); err == nil {
		t.Fatal("second Finish accepted")
	}
	if err := acc.CloseWindow(); err == nil {
		t.Fatal("CloseWindow after Finish accepted")
	}
}

func TestNewAccumulatorRejectsBadPlans(t *testing.T) {
	for _, ri := range []RunInfo{
		{Groups: []Group{{Name: "a", Devices: []int{1}}, {Name: "a", Devices: []int{2}}}},
		{Groups: []Group{{Name: "a", Devices: []int{1}}, {Name: "b", Devices: []int{1}}}},
		{Groups: []Group{{Name: "", Devices: []int{1}}}},
		{Groups: []Group{{Name: "unassigned", Devices: []int{1}}}},
		{Groups: []Group{{Name: "a", Devices: []int{-1}}}},
		{Groups: []Group{{Name: "a", Devices: []int{MaxDeviceIndex}}}},
		{Shard: Shard{Index: 2, Count: 2}},
		{Planned: -1},
	} {
		if _, err := NewAccumulator(ri, clock.NewFake(clock.Epoch()), nil); err == nil {
			t.Errorf("%+v accepted", ri)
		}
	}
}

// Every closed window reaches the file even through the runner's own
// bufio.Writer, and Live reports the run so far.
func TestWindowsReachTheFileAndLive(t *testing.T) {
	var file bytes.Buffer
	bw := bufio.NewWriterSize(&file, 1<<20)
	clk := clock.NewFake(clock.Epoch())
	acc, err := NewAccumulator(RunInfo{Scenario: "flush", Groups: []Group{{Name: "g", Devices: []int{0, 1}}}}, clk, bw)
	if err != nil {
		t.Fatal(err)
	}
	acc.Observe(observe.Observation{Kind: observe.ConnUp, Device: 0})
	for s := uint64(1); s <= 100; s++ {
		acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 0, Seq: s})
		acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: 0, Seq: s, Value: time.Duration(s) * time.Millisecond})
	}
	clk.Advance(DefaultWindow)
	if err := acc.CloseWindow(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(file.String(), `"type":"window"`) {
		t.Fatal("window line still buffered after the close")
	}
	acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 1, Seq: 1})
	l := acc.Live()
	if l.Sent != 101 || l.Delivered != 100 || l.Connected != 1 || l.IngestCount != 100 || l.IngestP99 < 99*time.Millisecond || l.IngestP99 > 100*time.Millisecond {
		t.Fatalf("live %+v", l)
	}
}
