package runner

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/sim/observe"
)

// mixed covers every way a device reaches the embedded cloud: cloud-storage
// and RTMP-push cameras, each behind a link and without one.
const mixed = `
name: transport-test
seed: 5
duration: 10s
networks:
  clean: {up: {rate: 4mbit, delay: 10ms}, down: {delay: 10ms}}
profiles:
  cam:
    video: {codec: h264, resolution: 640x360, fps: 15, gop: 15, bitrate: 512k}
    audio: {codec: aac, sample_rate: 16000, bitrate: 32k}
    sdk: {kind: cloud-storage, format: ts, slice_duration: 2s}
  pusher:
    video: {codec: h264, resolution: 640x360, fps: 15, gop: 30, bitrate: 512k}
    audio: {codec: aac, sample_rate: 16000, bitrate: 32k}
    sdk: {kind: rtmp-push, pool_size: 1MiB, max_connections: 2, heartbeat: 2s}
fleet:
  - {group: cs-link, count: 2, profile: cam, network: clean, plan: {full-time: 100%}}
  - {group: cs-direct, count: 2, profile: cam, plan: {full-time: 100%}}
  - {group: push-link, count: 2, profile: pusher, network: clean}
  - {group: push-direct, count: 1, profile: pusher}
ramp: {over: 1s}
thresholds:
  frames.delivered: "> 0"
`

// fateRecorder keeps every frame's fates by stream and sequence.
type fateRecorder struct {
	mu    sync.Mutex
	fates map[frameKey][]string
	sent  map[streamKey]uint64
}

type streamKey struct {
	device, channel int
	stream          observe.Stream
}

type frameKey struct {
	streamKey
	seq uint64
}

func newFateRecorder() *fateRecorder {
	return &fateRecorder{fates: map[frameKey][]string{}, sent: map[streamKey]uint64{}}
}

func (f *fateRecorder) Observe(o observe.Observation) {
	switch o.Kind {
	case observe.FrameSent, observe.FrameDelivered, observe.FrameDropped, observe.FrameLost, observe.FrameRejected:
	default:
		return
	}
	sk := streamKey{o.Device, o.Channel, o.Stream}
	f.mu.Lock()
	defer f.mu.Unlock()
	if o.Kind == observe.FrameSent {
		f.sent[sk] = max(f.sent[sk], o.Seq+1)
		return
	}
	k := frameKey{sk, o.Seq}
	f.fates[k] = append(f.fates[k], fmt.Sprint(o.Kind, " ", o.Reason))
}

func runTransport(t *testing.T, src, transport string, sink observe.Sink) (*Result, string) {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Scenario: load(t, src), OutDir: dir, Out: &out, Progress: "off",
		Grace: 3 * time.Second, Transport: transport, Sink: sink})
	if err != nil {
		t.Fatalf("%s: %v\n%s", transport, err, out.String())
	}
	checkIdentity(t, res.Report, deviceRows(t, dir), int(res.Report.Devices.Planned))
	if want := "transport " + transport; !strings.Contains(out.String(), want) {
		t.Fatalf("the plan line does not say %q:\n%s", want, out.String())
	}
	return res, out.String()
}

// firstDelivered is the lowest sequence number of sk delivered, or limit.
func (f *fateRecorder) firstDelivered(sk streamKey, limit uint64) uint64 {
	want := fmt.Sprint(observe.FrameDelivered, " ")
	for seq := uint64(0); seq < limit; seq++ {
		for _, fate := range f.fates[frameKey{sk, seq}] {
			if fate == want {
				return seq
			}
		}
	}
	return limit
}

// TestMemoryTransportAccountsLikeTCP runs one scenario on real loopback
// sockets and on the in-memory network: every frame that both runs made
// meets the same fate in both — all but each stream's start (until both
// runs deliver: it races with the device's first requests and connects, so
// a faster transport, or a less loaded machine, drops fewer frames for
// no_service or not_connected; at most its first 5 s) and last seconds
// (which the stop cuts at a moment that differs by a timer's jitter).
func TestMemoryTransportAccountsLikeTCP(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	runs := map[string]*fateRecorder{}
	for _, tr := range []string{TransportTCP, TransportMemory} {
		rec := newFateRecorder()
		res, out := runTransport(t, mixed, tr, rec)
		if !res.Report.Pass || res.Report.Devices.Connected != 7 {
			t.Fatalf("%s: pass %v, %d of 7 connected:\n%s", tr, res.Report.Pass, res.Report.Devices.Connected, out)
		}
		runs[tr] = rec
	}
	tcp, mem := runs[TransportTCP], runs[TransportMemory]
	const minHead, maxHead, tail = 15, 75, 45 // frames (1 s, 5 s, 3 s of video) at the ends, timing-dependent
	counts := map[string][2]int{}
	compared := 0
	for sk, n := range tcp.sent {
		if d := int64(mem.sent[sk]) - int64(n); d > tail || d < -tail {
			t.Errorf("stream %+v: %d frames sent over tcp, %d in memory", sk, n, mem.sent[sk])
		}
		limit := min(n, mem.sent[sk])
		head := max(minHead, tcp.firstDelivered(sk, limit), mem.firstDelivered(sk, limit))
		if head > maxHead {
			t.Errorf("stream %+v: first frame delivered at %d over tcp, %d in memory: later than the first %d",
				sk, tcp.firstDelivered(sk, limit), mem.firstDelivered(sk, limit), maxHead)
		}
		for seq := head; seq+tail < limit; seq++ {
			k := frameKey{sk, seq}
			a, b := strings.Join(tcp.fates[k], ","), strings.Join(mem.fates[k], ",")
			if a != b {
				t.Errorf("frame %+v: over tcp %q, in memory %q", k, a, b)
			}
			c := counts[a]
			c[0]++
			counts[a] = c
			compared++
		}
	}
	if len(mem.sent) != len(tcp.sent) {
		t.Errorf("%d streams over tcp, %d in memory", len(tcp.sent), len(mem.sent))
	}
	var names []string
	for k, c := range counts {
		names = append(names, fmt.Sprintf("%q×%d", k, c[0]))
	}
	sort.Strings(names)
	t.Logf("%d frames compared, fates: %s", compared, strings.Join(names, " "))
	if compared < 1000 || counts[fmt.Sprint(observe.FrameDelivered, " ")][0] == 0 {
		t.Fatalf("too little compared: %d frames, fates %v", compared, names)
	}
}

// A cloud restart on the in-memory network closes and reopens its
// listeners there: devices reconnect and deliver again.
func TestMemoryTransportCloudRestart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	src := strings.Replace(mixed, "ramp: {over: 1s}\n", "ramp: {over: 1s}\ntimeline:\n  - {at: 4s, cloud: {restart: 1s}}\n", 1)
	var mu sync.Mutex
	var start time.Time
	after := map[int]int{}
	sink := observe.SinkFunc(func(o observe.Observation) {
		mu.Lock()
		defer mu.Unlock()
		if start.IsZero() {
			start = o.At
		}
		if o.Kind == observe.FrameDelivered && o.At.Sub(start) > 6*time.Second {
			after[o.Device]++
		}
	})
	res, out := runTransport(t, src, TransportMemory, sink)
	if res.Report.Devices.Connected != 7 {
		t.Fatalf("%d of 7 connected:\n%s", res.Report.Devices.Connected, out)
	}
	mu.Lock()
	defer mu.Unlock()
	for dev := range 7 {
		if after[dev] == 0 {
			t.Errorf("device %d delivered nothing after the restart:\n%s", dev, out)
		}
	}
}

func TestTransportOptionChecked(t *testing.T) {
	if _, err := Run(context.Background(), Options{Scenario: load(t, small), Transport: "carrier-pigeon", OutDir: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "transport") {
		t.Fatalf("bad transport: %v", err)
	}
}
