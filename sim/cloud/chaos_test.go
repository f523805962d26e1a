package cloud

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud/loadgen"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// frameKey identifies one frame of one device.
type frameKey struct {
	device int
	stream observe.Stream
	seq    uint64
}

// ledger checks the accounting identity over observations: every fate
// belongs to a sent frame, no frame has two fates.
type ledger struct {
	sent   map[frameKey]bool
	fate   map[frameKey]observe.Kind
	byDev  map[int]map[observe.Kind]int
	errors []string
}

func account(obs []observe.Observation) *ledger {
	l := &ledger{sent: map[frameKey]bool{}, fate: map[frameKey]observe.Kind{}, byDev: map[int]map[observe.Kind]int{}}
	for _, o := range obs {
		k := frameKey{o.Device, o.Stream, o.Seq}
		switch o.Kind {
		case observe.FrameSent:
			if l.sent[k] {
				l.errors = append(l.errors, fmt.Sprintf("%v sent twice", k))
			}
			l.sent[k] = true
		case observe.FrameDelivered, observe.FrameDropped, observe.FrameLost, observe.FrameRejected:
			if prev, ok := l.fate[k]; ok {
				l.errors = append(l.errors, fmt.Sprintf("%v has two fates: %v and %v", k, prev, o.Kind))
			}
			l.fate[k] = o.Kind
		default:
			continue
		}
		if l.byDev[o.Device] == nil {
			l.byDev[o.Device] = map[observe.Kind]int{}
		}
		l.byDev[o.Device][o.Kind]++
	}
	for k := range l.fate {
		if !l.sent[k] {
			l.errors = append(l.errors, fmt.Sprintf("%v has a fate but was never sent", k))
		}
	}
	return l
}

// TestChaosRestartAccounting is evidence 5: the cloud restarts while 20
// cameras publish over RTMP. Afterwards, per device, every frame the cloud
// gave a fate was sent, no frame has two fates, sent = delivered + dropped
// + lost + rejected + in flight with in flight only what was on the wire
// at the restart, and every camera publishes again after it.
func TestChaosRestartAccounting(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes for seconds")
	}
	const devices = 20
	rec := &recorder{}
	clk := clock.NewReal()
	c := startCloud(t, Config{HTTPAddr: "off", RTPAddr: "off", Seed: 5}, clk, rec)
	prof := loadgen.Quickstart()
	sh, err := source.NewShared(prof)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	pubs := make([]*loadgen.Publisher, devices)
	for i := range pubs {
		p, err := loadgen.New(loadgen.Config{URL: c.PublishURL("live", fmt.Sprintf("cam-%04d", i)), Device: i, Shared: sh,
			Clock: clk, Rand: rng.New(5, "dev", fmt.Sprint(i)), Sink: rec, Reconnect: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		pubs[i] = p
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(ctx) }()
	}
	time.Sleep(1500 * time.Millisecond)
	restartAt := time.Now()
	if err := c.Restart(time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3500 * time.Millisecond)
	cancel()
	wg.Wait()
	c.Close() // the cloud has seen everything that reached it

	l := account(rec.all())
	for _, e := range l.errors {
		t.Error(e)
	}
	// frames delivered after the restart, per device
	after := map[int]int{}
	for _, o := range rec.all() {
		if o.Kind == observe.FrameDelivered && o.At.After(restartAt.Add(time.Second)) {
			after[o.Device]++
		}
	}
	var totSent, totDel, totInFlight int
	for d := 0; d < devices; d++ {
		m := l.byDev[d]
		sent := m[observe.FrameSent]
		fates := m[observe.FrameDelivered] + m[observe.FrameDropped] + m[observe.FrameLost] + m[observe.FrameRejected]
		inFlight := sent - fates
		st := pubs[d].Stats()
		// in flight: written by the camera, never complete at the cloud —
		// what the kernel buffers held when the connection died
		if inFlight < 0 || inFlight > 64 {
			t.Errorf("device %d: sent %d, fates %d (delivered %d dropped %d lost %d rejected %d): in flight %d",
				d, sent, fates, m[observe.FrameDelivered], m[observe.FrameDropped], m[observe.FrameLost], m[observe.FrameRejected], inFlight)
		}
		if int64(sent) != st.Sent || st.Connects < 2 {
			t.Errorf("device %d: publisher stats %+v, observed sent %d", d, st, sent)
		}
		if after[d] < 20 {
			t.Errorf("device %d: %d frames delivered after the restart", d, after[d])
		}
		if m[observe.FrameRejected] != 0 {
			t.Errorf("device %d: %d frames rejected", d, m[observe.FrameRejected])
		}
		totSent += sent
		totDel += m[observe.FrameDelivered]
		totInFlight += inFlight
	}
	s := c.Snapshot()
	t.Logf("sent %d delivered %d in flight %d; cloud: accepted %d publishes, %d restarts, %d gaps (%d frames)",
		totSent, totDel, totInFlight, s.PublishAccepted, s.Restarts, s.SeqGaps, s.GapFrames)
	if s.PublishAccepted < 2*devices || s.Restarts != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}
