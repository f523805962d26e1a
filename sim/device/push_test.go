package device

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/device/firmware"
	"github.com/fleetsim/fleetsim/sim/device/push"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// pushRig is a device with the push SDK against the mock cloud (RTMP
// ingest over loopback TCP, HTTP API, RTP relay) on a fake clock.
type pushRig struct {
	t     testing.TB
	clk   *clock.Fake
	led   *ledger
	cloud *cloud.Cloud
	dev   *Device
	start time.Time

	mu    sync.Mutex
	conns []net.Conn
}

func newPushRig(t testing.TB, pc PushConfig, fw firmware.Config, seed uint64, start time.Time) *pushRig {
	t.Helper()
	clk := clock.NewFake(start)
	led := newLedger()
	c := cloud.New(cloud.Config{Seed: seed}, clk, led)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := &pushRig{t: t, clk: clk, led: led, cloud: c, start: start}
	client, err := httpapi.New(c.BaseURL(), httpapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pc.URL == "" {
		pc.URL = c.PublishURL("live", "cam-0007")
	}
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err == nil {
			r.mu.Lock()
			r.conns = append(r.conns, nc)
			r.mu.Unlock()
		}
		return nc, err
	}
	dev, err := New(Config{Index: 7, ID: "cam-0007", RunSeed: seed, Media: quickstartMedia(t), Firmware: fw, Push: &pc},
		Deps{Clock: clk, Sink: led, PushDial: dial, Tokens: client, Receipts: c, LiveView: client, DialUDP: d.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	r.dev = dev
	t.Cleanup(func() {
		_ = dev.Close()
		c.Close()
	})
	return r
}

// cut resets the device's connections (the network dropped them).
func (r *pushRig) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
	r.conns = nil
}

// connected: the connection is up and the firmware has had the SDK's
// connect-success callback. ConnUp is observed before the SDK's goroutine
// delivers that callback; a frame generated in between would take the
// not-yet-connected path, and a run would not replay exactly.
func (r *pushRig) connected() bool {
	if r.count(observe.ConnUp) != 1 {
		return false
	}
	r.dev.mu.Lock()
	defer r.dev.mu.Unlock()
	return r.dev.ps != nil && r.dev.ps.up
}

func (r *pushRig) count(k observe.Kind) int {
	r.led.mu.Lock()
	defer r.led.mu.Unlock()
	return r.led.kinds[k]
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// settled: every video frame sent has its fate, and at most the audio
// frames since the last video frame wait (the ingest times audio from the
// next video frame's stamp, so it gives them their fate then).
func (r *pushRig) settled() bool {
	r.led.mu.Lock()
	all := r.led.kinds[observe.FrameSent] == r.led.fates()
	r.led.mu.Unlock()
	if all {
		return true
	}
	audio := 0
	for _, u := range r.unfated() {
		if u[:2] == "s0" {
			return false
		}
		audio++
	}
	return audio <= 2
}

// run advances the clock by d. quiesce steps from timer to timer and lets
// the SDK and the cloud catch up after each: with a clean link every frame
// has its fate at the instant it was sent, so runs replay exactly.
// Otherwise it moves in steps of step with a short real pause.
func (r *pushRig) run(d time.Duration, step time.Duration, quiesce bool) {
	r.t.Helper()
	end := r.clk.Now().Add(d)
	for r.clk.Now().Before(end) {
		if !quiesce {
			r.clk.Advance(min(step, end.Sub(r.clk.Now())))
			time.Sleep(200 * time.Microsecond)
			continue
		}
		next, ok := r.clk.Next()
		if !ok || next.After(end) {
			next = end
		}
		r.clk.AdvanceTo(next)
		deadline := time.Now().Add(20 * time.Second)
		for !(!r.dev.Busy() && r.settled()) {
			if time.Now().After(deadline) {
				un := r.unfated()
				r.led.mu.Lock()
				for _, l := range r.led.log {
					for _, u := range un {
						if indexOf(l, " s"+u[1:2]+" "+u[2:]+" ") >= 0 || containsKind(l, observe.ConnClosed) || containsKind(l, observe.ConnUp) || containsKind(l, observe.SegmentStarted) {
							r.t.Log(l)
						}
					}
				}
				r.led.mu.Unlock()
				r.t.Fatalf("step did not settle: busy %v, unfated %v", r.dev.Busy(), un)
			}
			time.Sleep(500 * time.Microsecond)
		}
	}
}

// unfated lists frames sent without a fate (for failure messages).
func (r *pushRig) unfated() []string {
	r.led.mu.Lock()
	defer r.led.mu.Unlock()
	fated := map[string]bool{}
	var sent []string
	for _, l := range r.led.log {
		var ns int64
		var kind, dev, ch, st, seq string
		fmt.Sscan(l, &ns, &kind, &dev, &ch, &st, &seq)
		switch kind {
		case "frame_sent":
			sent = append(sent, st+seq)
		case "frame_delivered", "frame_dropped", "frame_lost", "frame_rejected":
			fated[st+seq] = true
		}
	}
	var out []string
	for _, k := range sent {
		if !fated[k] {
			out = append(out, k)
		}
	}
	return out
}

// identity checks sent = delivered + dropped + lost + rejected + in flight
// with no frame fated twice, and returns the counts.
func (r *pushRig) identity() map[observe.Kind]int {
	r.t.Helper()
	r.led.mu.Lock()
	defer r.led.mu.Unlock()
	counts := map[observe.Kind]int{}
	for k, n := range r.led.kinds {
		counts[k] = n
	}
	if r.led.kinds[observe.FrameSent] < r.led.fates() {
		r.t.Fatalf("more fates (%d) than frames (%d): %v", r.led.fates(), r.led.kinds[observe.FrameSent], r.led.drops)
	}
	return counts
}

// noLeaks checks, after every cleanup of the test, that no goroutine
// outlives the device and the cloud.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func TestPushContinuousDeliversItsStream(t *testing.T) {
	noLeaks(t)
	r := newPushRig(t, PushConfig{Continuous: true, ContinuousTrigger: push.TriggerDefault}, firmware.Config{}, 1, time.Now().Truncate(time.Second))
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", r.connected)
	r.run(10*time.Second, 100*time.Millisecond, true)
	c := r.identity()
	if c[observe.FrameSent] < 300 || c[observe.FrameDelivered] != c[observe.FrameSent] {
		t.Errorf("sent %d delivered %d (%v)", c[observe.FrameSent], c[observe.FrameDelivered], r.led.drops)
	}
	if c[observe.SegmentStarted] != 1 || r.cloud.Snapshot().SegmentsStarted != 1 {
		t.Errorf("segments: device %d cloud %d", c[observe.SegmentStarted], r.cloud.Snapshot().SegmentsStarted)
	}
	if err := r.dev.Close(); err != nil {
		t.Fatal(err)
	}
	r.cloud.Close()
}

// TestRP4DeviceMotionSegments: each motion event is one segment (stream
// start with the motion trigger … stream end with its alarm time), pushed
// on the camera's one long-lived connection; outside segments nothing is
// pushed (not_recording) and every frame inside one is delivered.
func TestRP4DeviceMotionSegments(t *testing.T) {
	noLeaks(t)
	fw := firmware.Config{Motion: firmware.MotionConfig{Rate: units.Frequency(1.0 / 20), Duration: firmware.Fixed(3 * time.Second),
		Hold: 4 * time.Second, Retrigger: 2 * time.Second, Cap: time.Minute, EventID: 1}}
	r := newPushRig(t, PushConfig{MotionTrigger: push.TriggerMoveDetect}, fw, 3, time.Now().Truncate(time.Second))
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", r.connected)
	r.run(120*time.Second, 100*time.Millisecond, true)
	c := r.identity()
	r.led.mu.Lock()
	var starts, ends int
	open := false
	for _, l := range r.led.log {
		switch {
		case containsKind(l, observe.SegmentStarted):
			if open {
				t.Errorf("segment started inside a segment")
			}
			open = true
			starts++
		case containsKind(l, observe.SegmentEnded):
			if !open {
				t.Errorf("segment ended outside a segment")
			}
			open = false
			ends++
		}
	}
	r.led.mu.Unlock()
	if starts < 2 || ends < starts-1 {
		t.Errorf("segments: %d started, %d ended", starts, ends)
	}
	snap := r.cloud.Snapshot()
	if snap.SegmentsStarted != int64(starts) || len(snap.Streams) != 1 || snap.Streams[0].Trigger != int(push.TriggerMoveDetect) {
		t.Errorf("cloud: %d segments, streams %+v", snap.SegmentsStarted, snap.Streams)
	}
	if c[observe.ConnUp] != 1 {
		t.Errorf("%d connections: want one long-lived", c[observe.ConnUp])
	}
	// the event funnel: every motion event started, its first frame seen
	// arriving at the cloud, and reported when it ended
	if c[observe.EventStarted] < 2 || c[observe.EventFirstFrame] < c[observe.EventStarted]-1 || c[observe.EventReported] < c[observe.EventStarted]-1 {
		t.Errorf("events: %d started, %d first frames, %d reported", c[observe.EventStarted], c[observe.EventFirstFrame], c[observe.EventReported])
	}
	// media only inside segments: the rest is not recorded (policy)
	r.led.mu.Lock()
	notRec := r.led.drops["frame_dropped:"+observe.ReasonNotRecording]
	r.led.mu.Unlock()
	if c[observe.FrameDelivered] == 0 || notRec == 0 || c[observe.FrameDelivered]+notRec != c[observe.FrameSent] {
		t.Errorf("sent %d delivered %d: %v", c[observe.FrameSent], c[observe.FrameDelivered], r.led.drops)
	}
}

func containsKind(line string, k observe.Kind) bool {
	return len(line) > 0 && indexOf(line, " "+k.String()+" ") >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// attempts lists the clock times of connection attempts.
func (r *pushRig) attempts() []time.Duration {
	r.led.mu.Lock()
	defer r.led.mu.Unlock()
	var out []time.Duration
	for _, l := range r.led.log {
		if containsKind(l, observe.ConnAttempt) {
			var ns int64
			fmt.Sscan(l, &ns)
			out = append(out, time.Unix(0, ns).Sub(r.start))
		}
	}
	return out
}

// TestRP7 (firmware policy): connects refused by the cloud fail and are
// retried with jittered exponential backoff; once the cloud takes them the
// stream flows; a connection cut under the SDK is a send failure (0x60),
// after which the firmware reconnects and the stream resumes at an IDR.
// Frames caught by the cut are dropped or lost, never double counted, and
// nothing stays in flight after the grace period.
func TestRP7(t *testing.T) {
	noLeaks(t)
	backoff := Backoff{Initial: time.Second, Max: 8 * time.Second, Multiplier: 2, Jitter: 0.2}
	r := newPushRig(t, PushConfig{Continuous: true, Reconnect: backoff}, firmware.Config{}, 5, time.Now().Truncate(time.Second))
	r.cloud.RefuseConnections(true)
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		waitFor(t, "failure", func() bool { return r.count(observe.ConnFailed) == i+1 })
		waitFor(t, "retry armed", func() bool { return r.clk.Pending() > 0 })
		next, _ := r.clk.Next()
		// let the failure's retry time come, without running the source far
		r.clk.AdvanceTo(next)
		for r.count(observe.ConnAttempt) < i+2 {
			n, ok := r.clk.Next()
			if !ok {
				t.Fatal("no retry pending")
			}
			r.clk.AdvanceTo(n)
			time.Sleep(100 * time.Microsecond)
		}
	}
	at := r.attempts()
	for i := 1; i < len(at); i++ {
		gap := at[i] - at[i-1]
		nominal := float64(min(backoff.Initial*time.Duration(1<<(i-1)), backoff.Max))
		if float64(gap) < nominal*(1-backoff.Jitter)-float64(time.Millisecond) || float64(gap) > nominal*(1+backoff.Jitter)+float64(100*time.Millisecond) {
			t.Errorf("retry %d after %v, want %v ± %.0f%%", i, gap, time.Duration(nominal), backoff.Jitter*100)
		}
	}
	if r.count(observe.Reconnect) != len(at)-1 {
		t.Errorf("%d reconnects for %d attempts", r.count(observe.Reconnect), len(at))
	}
	r.cloud.RefuseConnections(false)
	waitFor(t, "connected", func() bool {
		if r.connected() {
			return true
		}
		if n, ok := r.clk.Next(); ok {
			r.clk.AdvanceTo(n)
		}
		return false
	})
	r.run(3*time.Second, 100*time.Millisecond, true)
	deliveredBefore := r.count(observe.FrameDelivered)
	r.cut()
	r.run(500*time.Millisecond, 20*time.Millisecond, false)
	waitFor(t, "send failure", func() bool { return r.count(observe.ConnClosed) == 1 })
	// the backoff restarts at Initial after a connection that was up
	r.run(3*time.Second, 100*time.Millisecond, false)
	waitFor(t, "reconnected", func() bool { return r.count(observe.ConnUp) == 2 })
	r.run(3*time.Second, 100*time.Millisecond, true)
	if r.count(observe.FrameDelivered) <= deliveredBefore+30 {
		t.Errorf("stream did not resume: %d delivered before the cut, %d now", deliveredBefore, r.count(observe.FrameDelivered))
	}
	c := r.identity()
	if c[observe.FrameSent] != c[observe.FrameDelivered]+c[observe.FrameDropped]+c[observe.FrameLost]+c[observe.FrameRejected] {
		t.Errorf("in flight after the grace period: %v %v", c, r.led.drops)
	}
	t.Logf("attempt times %v; fates %v", at, r.led.drops)
}

// TestPushSameSeedSameObservations: two runs with one seed on the fake
// clock give the same observations (sorted within an instant: the SDK's
// and the cloud's goroutines interleave freely inside one).
func TestPushSameSeedSameObservations(t *testing.T) {
	noLeaks(t)
	start := time.Now().Truncate(time.Second)
	fw := firmware.Config{Motion: firmware.MotionConfig{Rate: units.Frequency(1.0 / 10), Duration: firmware.Fixed(2 * time.Second),
		Hold: 3 * time.Second, Retrigger: 2 * time.Second, Cap: time.Minute, EventID: 1}}
	var logs [2][]string
	for i := range logs {
		r := newPushRig(t, PushConfig{}, fw, 11, start)
		if err := r.dev.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "connected", r.connected)
		r.run(30*time.Second, 100*time.Millisecond, true)
		if err := r.dev.Close(); err != nil {
			t.Fatal(err)
		}
		r.led.mu.Lock()
		for _, l := range r.led.log {
			logs[i] = append(logs[i], withoutArrival(l))
		}
		r.led.mu.Unlock()
		sort.Strings(logs[i])
		r.cloud.Close()
	}
	if len(logs[0]) != len(logs[1]) {
		t.Fatalf("runs differ in length: %d vs %d", len(logs[0]), len(logs[1]))
	}
	for i := range logs[0] {
		if logs[0][i] != logs[1][i] {
			t.Fatalf("runs differ at %d: %q vs %q", i, logs[0][i], logs[1][i])
		}
	}
}

// withoutArrival drops the time and the latency of the cloud's frame
// fates from a log line: the ingest reads the socket in its own goroutine,
// so where its observations fall against the fake clock (and so their
// latency) varies from run to run; which frames get which fate does not.
func withoutArrival(l string) string {
	f := strings.Fields(l)
	if len(f) >= 7 && (f[1] == observe.FrameDelivered.String() || f[1] == observe.FrameRejected.String()) {
		f[0], f[6] = "*", "*"
		return strings.Join(f, " ")
	}
	return l
}

// TestPushLiveView: viewer sessions (firmware live-view process) send the
// video over RTP to the cloud's relay beside the push stream, and the push
// segment's trigger follows the viewer (RP8 trigger change).
func TestPushLiveView(t *testing.T) {
	noLeaks(t)
	fw := firmware.Config{LiveView: firmware.LiveViewConfig{Rate: units.Frequency(1.0 / 5), Duration: firmware.Fixed(3 * time.Second), Trigger: int(push.TriggerLiveIOS)}}
	r := newPushRig(t, PushConfig{Continuous: true, ContinuousTrigger: push.TriggerDefault}, fw, 8, time.Now().Truncate(time.Second))
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", r.connected)
	r.run(30*time.Second, 100*time.Millisecond, true)
	r.run(3*time.Second, 100*time.Millisecond, false) // relay reports
	var starts, stops, reports int
	var packets int64
	r.led.mu.Lock()
	for _, l := range r.led.log {
		if !containsKind(l, observe.LiveViewReport) {
			continue
		}
		switch {
		case indexOf(l, "session_start") >= 0:
			starts++
		case indexOf(l, "session_stop") >= 0:
			stops++
		default:
			reports++
		}
	}
	r.led.mu.Unlock()
	snap := r.cloud.Snapshot()
	packets = snap.LiveViewPackets
	if starts == 0 || stops == 0 || reports == 0 || packets == 0 || snap.LiveViewLost != 0 {
		t.Errorf("live view: %d sessions started, %d stopped, %d relay reports, %d packets, %d lost", starts, stops, reports, packets, snap.LiveViewLost)
	}
	if len(snap.Streams) != 1 || snap.Streams[0].MetadataByType[7] == 0 {
		t.Errorf("no trigger change on the push stream: %+v", snap.Streams)
	}
	// the last steps did not wait for the ingest: let it catch up (a frame
	// that never arrives fails the wait)
	waitFor(t, "every frame delivered", func() bool {
		c := r.identity()
		return c[observe.FrameDelivered] == c[observe.FrameSent]
	})
}

// TestPushReboot: a reboot ends the SDK (queued frames dropped, written
// ones decided after the grace period); the device boots a new SDK which
// reconnects, and its stream continues with media time from where the
// frame numbers stand.
func TestPushReboot(t *testing.T) {
	noLeaks(t)
	r := newPushRig(t, PushConfig{Continuous: true, ContinuousTrigger: push.TriggerDefault}, firmware.Config{}, 9, time.Now().Truncate(time.Second))
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected", r.connected)
	r.run(5*time.Second, 100*time.Millisecond, true)
	r.dev.Reboot(5 * time.Second)
	r.run(6*time.Second, 100*time.Millisecond, false)
	waitFor(t, "reconnected", func() bool { return r.count(observe.ConnUp) == 2 })
	r.run(5*time.Second, 100*time.Millisecond, true)
	c := r.identity()
	if c[observe.Reconnect] != 1 || c[observe.ConnClosed] != 1 {
		t.Errorf("reconnects %d, closed %d", c[observe.Reconnect], c[observe.ConnClosed])
	}
	if c[observe.FrameRejected] != 0 {
		t.Errorf("the cloud rejected %d frames after the reboot: %v", c[observe.FrameRejected], r.led.drops)
	}
	if c[observe.FrameDelivered] < 280 || c[observe.FrameSent] != c[observe.FrameDelivered]+c[observe.FrameDropped]+c[observe.FrameLost] {
		t.Errorf("sent %d delivered %d: %v", c[observe.FrameSent], c[observe.FrameDelivered], r.led.drops)
	}
}
