package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
	"github.com/google/go-cmp/cmp"
)

// tapListener records, per accepted connection, every byte the client
// sent (what the server read), and can stall the server's reads.
type tapListener struct {
	net.Listener
	mu    sync.Mutex
	taps  []*bytes.Buffer
	stall chan struct{} // reads wait while open (nil: never)
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := new(bytes.Buffer)
	l.taps = append(l.taps, b)
	return &tapReader{Conn: c, l: l, b: b}, nil
}

func (l *tapListener) wire() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var all []byte
	for _, b := range l.taps {
		all = append(all, b.Bytes()...)
	}
	return all
}

func (l *tapListener) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stall != nil {
		close(l.stall)
		l.stall = nil
	}
}

type tapReader struct {
	net.Conn
	l *tapListener
	b *bytes.Buffer
}

func (t *tapReader) Read(p []byte) (int, error) {
	t.l.mu.Lock()
	st := t.l.stall
	t.l.mu.Unlock()
	if st != nil {
		<-st
	}
	n, err := t.Conn.Read(p)
	t.l.mu.Lock()
	t.b.Write(p[:n])
	t.l.mu.Unlock()
	return n, err
}

// hiddenSocket hides the socket from the SDK: every write goes through
// the sender goroutine (as on a simulated link).
type hiddenSocket struct{ net.Conn }

// directRun publishes a segment of d of the quickstart camera, tick by
// tick on a fake clock, to a recording server and closes; it returns the
// bytes the server read, the observations and whether every SendFrame
// left the SDK idle (written within the call).
func directRun(t *testing.T, hide bool, opts Options, d time.Duration) (onWire []byte, obs []string, msgs []string, inline bool) {
	t.Helper()
	// a fixed time (the metadata carry it), ahead of the real clock, which
	// the sockets' deadlines are on; the ingest runs on the real clock
	clk := clock.NewFake(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := &tapListener{Listener: ln}
	rec := &recorder{}
	srv := rtmp.NewServer(rec, rtmp.ServerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ctx, tl) }()
	defer func() { cancel(); <-served }()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var nd net.Dialer
		nc, err := nd.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil || !hide {
			return nc, err
		}
		return hiddenSocket{nc}, nil
	}
	sh := quickstart(t, av.H264)
	opts.AudioConfig = sh.AudioConfig
	log := &obsLog{}
	s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(5, 6)), Sink: log, Dial: dial}, opts)
	if err := s.Initialize(units.MiB, 2); err != nil {
		t.Fatal(err)
	}
	cbs := &callbacks{}
	id, err := s.Connect("rtmp://cloud.test/live/cam-0001", "", cbs.cb)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connect", func() bool { return cbs.has(EventConnectSuccess) })
	idle := func() { waitFor(t, "queue drained", func() bool { return !s.Busy() }) }
	if err := s.SendMetadata(id, MetaStreamStart, int64(TriggerMoveDetect), 1000); err != nil {
		t.Fatal(err)
	}
	clk.Advance(opts.FlushDelay) // a gathered message waits for its timer
	idle()
	inline = true
	const tick = 66 * time.Millisecond
	fs := frames(t, sh, 1, 1, d)
	next := 0
	for media := tick; next < len(fs); media += tick {
		for ; next < len(fs) && fs[next].PTS < media; next++ {
			if err := s.SendFrame(id, fs[next]); err != nil {
				t.Fatal(err)
			}
			if s.Busy() && opts.FlushDelay == 0 {
				inline = false
			}
		}
		clk.Advance(tick)
		if opts.FlushDelay == 0 {
			idle()
		}
	}
	clk.Advance(opts.FlushDelay)
	idle()
	if err := s.SendMetadata(id, MetaStreamEnd, 5000, 2000); err != nil {
		t.Fatal(err)
	}
	clk.Advance(opts.FlushDelay)
	waitFor(t, "0x102", func() bool { return cbs.has(EventSegmentEnd) })
	if err := s.Close(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "close", func() bool { return cbs.has(EventClose) })
	if err := s.Uninitialize(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "server end", func() bool { return srv.Conns() == 0 })
	for _, o := range log.all() {
		if o.Kind == observe.FrameDropped {
			t.Errorf("frame dropped: %+v", o)
		}
	}
	return tl.wire(), canonical(log.all()), wire(t, rec.messages()), inline
}

// TestDirectWrites: on a socket, SendFrame writes the frame within the
// call (the SDK is idle when it returns) and the gathering timer writes
// within its callback; the bytes on the wire, the messages the ingest
// reads, the observations and the callbacks are those of the sender
// goroutine's writes (a transport that is no socket), for each batching
// policy.
func TestDirectWrites(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"at-once", Options{}},
		{"gathered", Options{FlushDelay: 100 * time.Millisecond}},
		{"flush-on-video", Options{FlushDelay: 100 * time.Millisecond, FlushOnVideo: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dWire, dObs, dMsgs, inline := directRun(t, false, c.opts, 3*time.Second)
			sWire, sObs, sMsgs, _ := directRun(t, true, c.opts, 3*time.Second)
			if c.opts.FlushDelay == 0 && !inline {
				t.Error("a SendFrame on a socket returned with the frame still queued")
			}
			if len(dMsgs) < 90 {
				t.Fatalf("the ingest read %d messages", len(dMsgs))
			}
			if diff := cmp.Diff(sMsgs, dMsgs); diff != "" {
				t.Errorf("messages (-sender +direct):\n%s", diff)
			}
			if !bytes.Equal(dWire, sWire) {
				i := 0
				for i < min(len(dWire), len(sWire)) && dWire[i] == sWire[i] {
					i++
				}
				t.Errorf("wire bytes differ at %d (direct %d bytes, sender %d)", i, len(dWire), len(sWire))
			}
			if diff := cmp.Diff(sObs, dObs); diff != "" {
				t.Errorf("observations (-sender +direct):\n%s", diff)
			}
		})
	}
}

// TestDirectWriteFullSocket: when the socket does not take a direct write
// whole (the ingest stopped reading), the caller does not block: the rest
// waits in the send buffer, later frames queue and pause the connection
// (RP6) as with the sender, and once the ingest reads again the sender
// flushes, resumes and every frame that was not dropped arrives in order.
func TestDirectWriteFullSocket(t *testing.T) {
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := &tapListener{Listener: ln}
	rec := &recorder{}
	srv := rtmp.NewServer(rec, rtmp.ServerConfig{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ctx, tl) }()
	defer func() { cancel(); <-served }()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var nd net.Dialer
		nc, err := nd.DialContext(ctx, "tcp", ln.Addr().String())
		if err == nil {
			_ = nc.(*net.TCPConn).SetWriteBuffer(16 << 10) // fills after a few frames
		}
		return nc, err
	}
	sh := quickstart(t, av.H264)
	log := &obsLog{}
	s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(5, 6)), Sink: log, Dial: dial}, Options{AudioConfig: sh.AudioConfig})
	if err := s.Initialize(units.MiB, 2); err != nil {
		t.Fatal(err)
	}
	defer s.Uninitialize()
	cbs := &callbacks{}
	id, err := s.Connect("rtmp://cloud.test/live/cam-0001", "", cbs.cb)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connect", func() bool { return cbs.has(EventConnectSuccess) })
	tl.mu.Lock()
	tl.stall = make(chan struct{})
	tl.mu.Unlock()
	fs := frames(t, sh, 1, 1, 600*time.Second)
	i := 0
	for ; i < len(fs) && !cbs.has(EventPause); i++ {
		_ = s.SendFrame(id, fs[i]) // never blocks, or the test hangs here
	}
	if !cbs.has(EventPause) {
		t.Fatal("the connection never paused with the ingest not reading")
	}
	tl.release()
	waitFor(t, "resume", func() bool { return cbs.has(EventResume) })
	for ; i < len(fs) && i < 2000; i++ {
		_ = s.SendFrame(id, fs[i])
		if i%2 == 0 {
			waitFor(t, "queue drained", func() bool { return !s.Busy() })
		}
	}
	waitFor(t, "queue drained", func() bool { return !s.Busy() })
	if err := s.Close(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "close", func() bool { return cbs.has(EventClose) })
	// every frame not dropped arrived, in order, once
	dropped := map[[2]uint64]bool{}
	for _, o := range log.all() {
		if o.Kind == observe.FrameDropped {
			dropped[[2]uint64{uint64(o.Stream), o.Seq}] = true
		}
	}
	var want []string
	for _, f := range fs[:i] {
		if !dropped[[2]uint64{uint64(streamOf(f.Codec)), f.Seq}] {
			want = append(want, fmt.Sprintf("%s@%d", f.Codec, flv.Milliseconds(f.PTS)))
		}
	}
	var got []string
	for _, m := range rec.messages() {
		if (m.Type == 8 || m.Type == 9) && len(m.Payload) > 1 && m.Payload[1] == 1 {
			c := av.AAC
			if m.Type == 9 {
				c = av.H264
			}
			got = append(got, fmt.Sprintf("%s@%d", c, m.Timestamp))
		}
	}
	if len(dropped) == 0 {
		t.Error("nothing dropped while paused")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames at the ingest (-sent and not dropped +received):\n%s", diff)
	}
}

// TestDirectWireGolden pins the bytes a 3 s segment puts on the wire
// after the handshake (whose random and time fields vary): their length
// and SHA-256 in testdata/direct_wire.golden (go test -update rewrites it).
// Encoding changes that must not change the wire are checked against it.
func TestDirectWireGolden(t *testing.T) {
	const handshake = 1 + 1536 + 1536 // C0, C1, C2
	onWire, _, _, _ := directRun(t, false, Options{}, 3*time.Second)
	if len(onWire) <= handshake {
		t.Fatalf("%d bytes on the wire", len(onWire))
	}
	sum := sha256.Sum256(onWire[handshake:])
	got := fmt.Sprintf("%d %x\n", len(onWire)-handshake, sum)
	path := filepath.Join("testdata", "direct_wire.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("wire after the handshake: %q, golden %q", got, want)
	}
}

// TestDirectWriteConnectionLost: a connection reset under direct writes
// ends the connection as a send failure (0x60, ConnClosed
// send_thread_exit) through the sender, whether the reader or a failed
// direct write notices first; SendFrame keeps returning at once, frames
// after the end are dropped with a reason, and no frame gets two fates.
func TestDirectWriteConnectionLost(t *testing.T) {
	r := newRig(t, av.H264, Options{})
	r.connect()
	fs := frames(t, r.sh, 1, 1, 6*time.Second)
	half := len(fs) / 2
	for _, f := range fs[:half] {
		if err := r.sdk.SendFrame(r.id, f); err != nil {
			t.Fatal(err)
		}
	}
	r.idle()
	r.srv.cut()
	for _, f := range fs[half:] {
		_ = r.sdk.SendFrame(r.id, f)
		if r.cbs.has(EventSendThreadExit) {
			continue
		}
		time.Sleep(time.Millisecond) // let the reset arrive
	}
	waitFor(t, "send-thread-exit", func() bool { return r.cbs.has(EventSendThreadExit) })
	if n := r.log.count(observe.ConnClosed, "send_thread_exit"); n != 1 {
		t.Errorf("%d ConnClosed send_thread_exit observations", n)
	}
	fates := map[[2]uint64]int{}
	sent := 0
	for _, o := range r.log.all() {
		switch o.Kind {
		case observe.FrameSent:
			sent++
		case observe.FrameDropped, observe.FrameLost:
			fates[[2]uint64{uint64(o.Stream), o.Seq}]++
			if o.Reason == "" {
				t.Errorf("drop without a reason: %+v", o)
			}
		}
	}
	if sent != len(fs) {
		t.Errorf("%d frames observed sent, %d given", sent, len(fs))
	}
	for k, n := range fates {
		if n != 1 {
			t.Errorf("frame %v has %d fates", k, n)
		}
	}
	if len(fates) == 0 {
		t.Error("no frame dropped after the connection died")
	}
}
