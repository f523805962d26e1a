package push

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// router sends each device's observations to its own log.
type router struct {
	mu   sync.Mutex
	logs map[int]*obsLog
}

func (r *router) Observe(o observe.Observation) {
	r.mu.Lock()
	l := r.logs[o.Device]
	r.mu.Unlock()
	if l != nil {
		l.Observe(o)
	}
}

func (r *router) log(device int) *obsLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := &obsLog{}
	r.logs[device] = l
	return l
}

// connLog records callbacks per connection.
type connLog struct {
	mu  sync.Mutex
	evs map[ConnID][]Event
}

func (c *connLog) cb(id ConnID, ev Event, wp, lp int64) {
	c.mu.Lock()
	c.evs[id] = append(c.evs[id], ev)
	c.mu.Unlock()
}

func (c *connLog) of(id ConnID) []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.evs[id]...)
}

// checkOrder checks one connection's callbacks: the connect outcome first;
// after a failed outcome nothing; after success pauses and resumes
// alternate (pause first), segment ends never outnumber the starts that
// were sent, and the end of the connection (0x08 or 0x60) comes once, last.
func checkOrder(evs []Event, starts int) error {
	if len(evs) == 0 {
		return nil
	}
	if !evs[0].IsConnectOutcome() && evs[0] != EventInvalidParam {
		return fmt.Errorf("first callback %v is not a connect outcome", evs[0])
	}
	if evs[0] != EventConnectSuccess {
		if len(evs) > 1 {
			return fmt.Errorf("callbacks after a failed connect: %v", evs)
		}
		return nil
	}
	paused, ends := false, 0
	for i, e := range evs[1:] {
		switch e {
		case EventPause:
			if paused {
				return fmt.Errorf("pause while paused: %v", evs)
			}
			paused = true
		case EventResume:
			if !paused {
				return fmt.Errorf("resume while not paused: %v", evs)
			}
			paused = false
		case EventSegmentEnd:
			ends++
			if ends > starts {
				return fmt.Errorf("%d segment ends for %d starts", ends, starts)
			}
		case EventClose, EventSendThreadExit:
			if i != len(evs)-2 {
				return fmt.Errorf("callbacks after the connection ended: %v", evs)
			}
		default:
			if e.IsConnectOutcome() {
				return fmt.Errorf("second connect outcome: %v", evs)
			}
		}
	}
	return nil
}

// TestPropertyAccountingAndOrder drives the SDK with random sequences of
// connects, closes, segments, frames, stalled uplinks, dropped and refused
// connections and clock moves, against the mock cloud. Afterwards every
// frame has exactly one fate (sent = delivered + dropped + lost + rejected,
// nothing in flight once the grace period passed) and no connection's
// callbacks came out of their documented order.
func TestPropertyAccountingAndOrder(t *testing.T) {
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	rt := &router{logs: map[int]*obsLog{}}
	c := cloud.New(cloud.Config{HTTPAddr: "off", RTPAddr: "off"}, clk, rt)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sh := quickstart(t, av.H264)
	wrong := frames(t, sh, 1, 1, 20*time.Second)
	run := 0
	rapid.Check(t, func(rt2 *rapid.T) {
		run++
		dev := 100 + run
		log := rt.log(dev)
		// frames stamped by this device, or (adversarial) by another one:
		// the ingest then refuses every video frame and never times the
		// audio, so fates come out of write order
		stream := wrong
		if rapid.Bool().Draw(rt2, "own stamps") {
			stream = frames(rt2, sh, uint64(dev), 1, 20*time.Second)
		}
		var gmu sync.Mutex
		var gates []*gatedConn
		var d net.Dialer
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			g := &gatedConn{Conn: nc}
			gmu.Lock()
			gates = append(gates, g)
			gmu.Unlock()
			return g, nil
		}
		release := func() {
			gmu.Lock()
			for _, g := range gates {
				g.release()
			}
			gmu.Unlock()
		}
		pool := units.ByteSize(rapid.SampledFrom([]int{200 << 10, 1 << 20}).Draw(rt2, "pool"))
		// the sender writes each message as it comes, or gathers for 50 ms
		// of the clock (batches: one socket write for several frames), or
		// until the next video frame
		flush := rapid.SampledFrom([]time.Duration{0, 50 * time.Millisecond}).Draw(rt2, "flush delay")
		onVideo := flush > 0 && rapid.Bool().Draw(rt2, "flush on video")
		s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(uint64(run), 9)), Sink: log, Dial: dial, Receipts: c},
			Options{Device: dev, AudioConfig: sh.AudioConfig, LostGrace: time.Hour, ConnectTimeout: 5 * time.Second, FlushDelay: flush, FlushOnVideo: onVideo})
		if err := s.Initialize(pool, 2); err != nil {
			rt2.Fatal(err)
		}
		cl := &connLog{evs: map[ConnID][]Event{}}
		starts := map[ConnID]int{}
		var cur ConnID
		next := 0
		url := c.PublishURL("live", fmt.Sprintf("cam-%04d", dev))
		outcome := func(id ConnID) {
			waitFor(rt2, "outcome", func() bool {
				if len(cl.of(id)) > 0 {
					return true
				}
				clk.Advance(100 * time.Millisecond) // a stalled connect times out on the clock
				return false
			})
		}
		steps := rapid.IntRange(1, 25).Draw(rt2, "steps")
		for i := 0; i < steps; i++ {
			switch rapid.IntRange(0, 9).Draw(rt2, "action") {
			case 0, 1: // connect
				id, err := s.Connect(url, "", cl.cb)
				if err == nil {
					cur = id
					outcome(id)
				}
			case 2, 3, 4: // frames
				n := rapid.IntRange(1, 80).Draw(rt2, "frames")
				for k := 0; k < n && next < len(stream); k++ {
					_ = s.SendFrame(cur, stream[next])
					next++
				}
			case 5: // segment start or end
				if rapid.Bool().Draw(rt2, "start") {
					if s.SendMetadata(cur, MetaStreamStart, int64(TriggerMoveDetect), 0) == nil {
						starts[cur]++
					}
				} else {
					_ = s.SendMetadata(cur, MetaStreamEnd, 1000, 0)
				}
			case 6: // the uplink stalls or recovers
				gmu.Lock()
				if len(gates) > 0 {
					g := gates[len(gates)-1]
					if rapid.Bool().Draw(rt2, "hold") {
						g.hold()
					} else {
						g.release()
					}
				}
				gmu.Unlock()
			case 7: // the cloud drops connections
				c.DropConnections()
			case 8: // close
				_ = s.Close(cur)
			case 9: // time passes (heartbeats, grace periods)
				clk.Advance(time.Duration(rapid.IntRange(1, 30).Draw(rt2, "tenths")) * 100 * time.Millisecond)
			}
		}
		// end: release stalls, close, let the grace periods pass
		release()
		cl.mu.Lock()
		ids := make([]ConnID, 0, len(cl.evs))
		for id := range cl.evs {
			ids = append(ids, id)
		}
		cl.mu.Unlock()
		for _, id := range ids {
			_ = s.Close(id)
		}
		_ = s.Close(cur)
		waitFor(rt2, "connections ended", func() bool { return !s.Busy() && s.openConns() == 0 })
		// the grace period is an hour of the fake clock, which the actions
		// never reach: the lost-frame decisions wait until the ingest has
		// seen every connection of this device end (so has accounted all it
		// will), as the real clock's 2 s do in a run
		name := fmt.Sprintf("cam-%04d", dev)
		waitFor(rt2, "ingest done with the device", func() bool {
			for _, st := range c.Snapshot().Streams {
				if st.Stream == name {
					return false
				}
			}
			return true
		})
		clk.Advance(time.Hour)
		waitFor(rt2, "nothing in flight", func() bool {
			_, _, _, _, _, n := fates(rt2, log.all())
			return n == 0
		})
		if err := s.Uninitialize(); err != nil {
			rt2.Fatal(err)
		}
		sent, del, drop, lost, rej, _ := fates(rt2, log.all())
		if sent != next {
			rt2.Fatalf("%d frames given, %d observed sent", next, sent)
		}
		if sent != del+drop+lost+rej {
			rt2.Fatalf("sent %d ≠ delivered %d + dropped %d + lost %d + rejected %d", sent, del, drop, lost, rej)
		}
		cl.mu.Lock()
		for id, evs := range cl.evs {
			if err := checkOrder(evs, starts[id]); err != nil {
				rt2.Errorf("connection %d: %v", id, err)
			}
		}
		cl.mu.Unlock()
		// observations (not per connection: only counts can be compared)
		n := map[observe.Kind]int{}
		for _, o := range log.all() {
			n[o.Kind]++
		}
		if n[observe.SegmentEnded] > n[observe.SegmentStarted] || n[observe.PushResumed] > n[observe.PushPaused] ||
			n[observe.ConnUp]+n[observe.ConnFailed] > n[observe.ConnAttempt] || n[observe.ConnClosed] > n[observe.ConnUp] {
			rt2.Fatalf("observation counts out of order: %v", n)
		}
	})
}
