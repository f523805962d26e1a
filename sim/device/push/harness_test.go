package push

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is an RTMP ingest (media/rtmp server handler) that records the
// messages it receives and rejects as told.
type recorder struct {
	rtmp.NopHandler
	mu         sync.Mutex
	msgs       []rtmp.Message
	connects   []rtmp.ConnectRequest
	publishes  []rtmp.StreamRequest
	rejectConn error
	rejectPub  error
}

func (r *recorder) OnConnect(c *rtmp.ServerConn, req *rtmp.ConnectRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects = append(r.connects, *req)
	return r.rejectConn
}

func (r *recorder) OnPublish(c *rtmp.ServerConn, req *rtmp.StreamRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publishes = append(r.publishes, *req)
	return r.rejectPub
}

func (r *recorder) OnMessage(c *rtmp.ServerConn, m *rtmp.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cp := *m
	cp.Payload = bytes.Clone(m.Payload)
	r.msgs = append(r.msgs, cp)
	return nil
}

func (r *recorder) messages() []rtmp.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rtmp.Message(nil), r.msgs...)
}

// server serves RTMP on a loopback listener (net.Pipe is unbuffered, and
// RTMP's handshake has both sides write at once); dial reaches it whatever
// address the URL names.
type server struct {
	srv    *rtmp.Server
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn // client ends
}

func newServer(h rtmp.Handler, clk clock.Clock) *server {
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &server{srv: rtmp.NewServer(h, rtmp.ServerConfig{Clock: clk}), ln: ln, ctx: ctx, cancel: cancel}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); _ = s.srv.Serve(ctx, ln) }()
	return s
}

func (s *server) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.ln.Addr().String())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	return c, nil
}

// cut resets every connection dialled so far (the network dropped them).
func (s *server) cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
	s.conns = nil
}

func (s *server) close() { s.cancel(); s.wg.Wait() }

// obsLog is a Sink keeping every observation.
type obsLog struct {
	mu  sync.Mutex
	obs []observe.Observation
}

func (l *obsLog) Observe(o observe.Observation) {
	l.mu.Lock()
	l.obs = append(l.obs, o)
	l.mu.Unlock()
}

func (l *obsLog) all() []observe.Observation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]observe.Observation(nil), l.obs...)
}

func (l *obsLog) count(k observe.Kind, reason string) int {
	n := 0
	for _, o := range l.all() {
		if o.Kind == k && (reason == "" || o.Reason == reason) {
			n++
		}
	}
	return n
}

// canonical renders observations sorted by time and content, for
// comparing runs whose goroutines interleave differently within an instant.
func canonical(obs []observe.Observation) []string {
	out := make([]string, len(obs))
	for i, o := range obs {
		out[i] = fmt.Sprintf("%d %s d%d c%d s%d #%d v%d z%d code%d %t %s", o.At.UnixNano(), o.Kind, o.Device, o.Channel, o.Stream, o.Seq, o.Value, o.Size, o.Code, o.OK, o.Reason)
	}
	sort.Strings(out)
	return out
}

// callbacks records events in delivery order.
type callbacks struct {
	mu  sync.Mutex
	evs []Event
}

func (c *callbacks) cb(id ConnID, ev Event, wp, lp int64) {
	c.mu.Lock()
	c.evs = append(c.evs, ev)
	c.mu.Unlock()
}

func (c *callbacks) events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.evs...)
}

func (c *callbacks) has(ev Event) bool {
	for _, e := range c.events() {
		if e == ev {
			return true
		}
	}
	return false
}

// waitFor polls cond (real time: the SDK's goroutines and the in-memory
// peer run on their own); it fails the test after a generous bound.
// tLike is what the helpers need of *testing.T and *rapid.T.
type tLike interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

func waitFor(t tLike, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// quickstart is the 512 kbps H.264 15 fps + AAC 16 kHz camera.
func quickstart(t tLike, codec av.Codec) *source.Shared {
	t.Helper()
	sh, err := source.NewShared(source.Profile{
		Video: source.VideoConfig{Codec: codec, Width: 640, Height: 360, FPS: 15, GOP: 30, Bitrate: 512 * units.Kbps, IPRatio: 10, Variance: 0.2},
		Audio: source.AudioConfig{Codec: av.AAC, SampleRate: 16000, Channels: 1, Bitrate: 32 * units.Kbps},
	})
	if err != nil {
		t.Fatalf("%v", err)
	}
	return sh
}

// frames generates d of a device's frames on a private fake clock.
func frames(t tLike, sh *source.Shared, device uint64, seed uint64, d time.Duration) []*av.Frame {
	t.Helper()
	clk := clock.NewFake(clock.Epoch())
	var out []*av.Frame
	src := source.New(sh, device, clk, rand.New(rand.NewPCG(seed, 1)), source.SinkFunc(func(f *av.Frame, _ time.Duration) { out = append(out, f) }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src.Start(ctx)
	clk.Advance(d)
	src.Stop()
	return out
}

// rig is an SDK connected to a recorder over pipes on a fake clock.
type rig struct {
	t    testing.TB
	clk  *clock.Fake
	log  *obsLog
	rec  *recorder
	srv  *server
	sdk  *SDK
	cbs  *callbacks
	id   ConnID
	sh   *source.Shared
	opts Options
}

func newRig(t testing.TB, codec av.Codec, opts Options) *rig {
	t.Helper()
	r := &rig{t: t, clk: clock.NewFake(time.Now().Truncate(time.Second)), log: &obsLog{}, rec: &recorder{}, cbs: &callbacks{}}
	r.srv = newServer(r.rec, r.clk)
	r.sh = quickstart(t, codec)
	opts.AudioConfig = r.sh.AudioConfig
	r.opts = opts
	r.sdk = New(Deps{Clock: r.clk, Rand: rand.New(rand.NewPCG(1, 2)), Sink: r.log, Dial: r.srv.dial}, opts)
	if err := r.sdk.Initialize(units.MiB, 2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.sdk.Uninitialize()
		r.srv.close()
	})
	return r
}

// connect connects and waits for the outcome.
func (r *rig) connect() {
	r.t.Helper()
	id, err := r.sdk.Connect("rtmp://cloud.test:1935/live/cam-0001/1700000000", "", r.cbs.cb)
	if err != nil {
		r.t.Fatal(err)
	}
	r.id = id
	waitFor(r.t, "connect outcome", func() bool { return len(r.cbs.events()) > 0 })
	if ev := r.cbs.events()[0]; ev != EventConnectSuccess {
		r.t.Fatalf("connect: %v", ev)
	}
}

// idle waits until the SDK has written everything queued.
func (r *rig) idle() {
	r.t.Helper()
	waitFor(r.t, "queue drained", func() bool { return !r.sdk.Busy() })
}
