package rtmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

type countHandler struct {
	NopHandler
	msgs, bytes atomic.Int64
	publishes   atomic.Int64
}

func (h *countHandler) OnPublish(c *ServerConn, req *StreamRequest) error {
	h.publishes.Add(1)
	return nil
}

func (h *countHandler) OnMessage(c *ServerConn, m *Message) error {
	h.msgs.Add(1)
	h.bytes.Add(int64(len(m.Payload)))
	return nil
}

// TestManyPublishers: 200 concurrent publishers on one server, each with
// its own stream; every message arrives and every connection ends cleanly.
func TestManyPublishers(t *testing.T) {
	h := &countHandler{}
	srv, addr := startServer(t, h, ServerConfig{})
	const pubs, frames = 200, 25
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, pubs)
	for i := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Dial(ctx, fmt.Sprintf("rtmp://%s/live/cam%d", addr, i), ClientConfig{})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := c.Publish(ctx); err != nil {
				errs <- err
				return
			}
			for f := range frames {
				if err := c.WriteVideo(Timestamp(f*66), make([]byte, 1000+f)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Conns() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h.publishes.Load() != pubs || h.msgs.Load() != pubs*frames {
		t.Errorf("publishes %d messages %d, want %d %d", h.publishes.Load(), h.msgs.Load(), pubs, pubs*frames)
	}
	wantBytes := int64(pubs * (frames*1000 + frames*(frames-1)/2))
	if h.bytes.Load() != wantBytes {
		t.Errorf("bytes %d, want %d", h.bytes.Load(), wantBytes)
	}
}

// loopConn replays a setup script once, then a media section `loops`
// times, then EOF; writes are dropped.
type loopConn struct {
	setup, media []byte
	loops        int
	pos          int
	inMedia      bool
}

func (l *loopConn) Read(p []byte) (int, error) {
	src := l.setup
	if l.inMedia {
		if l.loops == 0 {
			return 0, io.EOF
		}
		src = l.media
	}
	n := copy(p, src[l.pos:])
	l.pos += n
	if l.pos == len(src) {
		l.pos = 0
		if l.inMedia {
			l.loops--
		}
		l.inMedia = true
	}
	return n, nil
}
func (l *loopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (l *loopConn) Close() error                     { return nil }
func (l *loopConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (l *loopConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (l *loopConn) SetDeadline(time.Time) error      { return nil }
func (l *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (l *loopConn) SetWriteDeadline(time.Time) error { return nil }

// cameraSecondScript is one second of the sub-stream profile as a
// publisher's chunk stream (512 kbps 15 fps GOP 30, I/P 10, and 32 kbps AAC
// in 256-byte frames), every chunk stream starting with a format 0 header so
// that it can be replayed back to back.
func cameraSecondScript(tb testing.TB, key bool) []byte {
	var b bytes.Buffer
	w := chunk.NewWriter(&b)
	if err := w.SetChunkSize(4096); err != nil {
		tb.Fatal(err)
	}
	const p, i = 3282, 32820
	for f := range 16 {
		ts := Timestamp(f * 64)
		if f < 15 {
			n := p
			if f == 0 && key {
				n = i
			}
			if err := w.Append(&Message{CSID: CSIDVideo, Type: chunk.TypeVideo, StreamID: 1, Timestamp: Timestamp(f * 66), Payload: make([]byte, n)}); err != nil {
				tb.Fatal(err)
			}
		}
		if err := w.Append(&Message{CSID: CSIDAudio, Type: chunk.TypeAudio, StreamID: 1, Timestamp: ts, Payload: make([]byte, 256)}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func publishSetupScript(tb testing.TB) []byte {
	var b bytes.Buffer
	b.Write(handshakeBytes())
	w := chunk.NewWriter(&b)
	if err := w.AppendSetChunkSize(4096); err != nil {
		tb.Fatal(err)
	}
	for _, c := range []struct {
		sid uint32
		cmd Command
	}{
		{0, Command{Name: CmdConnect, TxID: 1, Object: amf0.Object{{Key: "app", Value: "live"}, {Key: "tcUrl", Value: "rtmp://h/live"}}}},
		{0, Command{Name: CmdCreateStream, TxID: 2}},
		{1, Command{Name: CmdPublish, TxID: 3, Args: []any{"cam", "live"}}},
	} {
		m, err := c.cmd.Message(c.sid)
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.Append(&m); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkServerReceiveCameraSecond: the ingest side of one camera-second
// (31 messages, ~68 kB): chunk reassembly into pooled buffers, control
// handling and dispatch to the handler.
func BenchmarkServerReceiveCameraSecond(b *testing.B) {
	setup := publishSetupScript(b)
	media := append(cameraSecondScript(b, true), cameraSecondScript(b, false)...)
	h := &countHandler{}
	srv := NewServer(h, ServerConfig{})
	b.ReportAllocs()
	b.SetBytes(int64(len(media) / 2))
	b.ResetTimer()
	lc := &loopConn{setup: setup, media: media, loops: (b.N + 1) / 2}
	if err := srv.ServeConn(context.Background(), lc); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if got := h.msgs.Load(); got != int64((b.N+1)/2*62) {
		b.Fatalf("messages %d", got)
	}
}

// TestServerReceiveSteadyStateAllocs: once a connection is up, receiving
// media allocates nothing per message.
func TestServerReceiveSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	setup := publishSetupScript(t)
	media := append(cameraSecondScript(t, true), cameraSecondScript(t, false)...)
	h := &countHandler{}
	srv := NewServer(h, ServerConfig{})
	run := func(loops int) float64 {
		return testing.AllocsPerRun(3, func() {
			if err := srv.ServeConn(context.Background(), &loopConn{setup: setup, media: media, loops: loops}); err != nil {
				t.Fatal(err)
			}
		})
	}
	few, many := run(2), run(52)
	if perMsg := (many - few) / (50 * 62); perMsg > 0.05 {
		t.Errorf("%.3f allocations per received message (setup %v)", perMsg, few)
	}
}

// BenchmarkIdlePublisherMemory reports the heap held per idle publishing
// connection pair (our client and our server in one process, sharing one
// buffer pool per side) after each sent a 32 kB key frame: what thousands
// of mostly idle cameras cost. Goroutine stacks are not in the heap figure.
func BenchmarkIdlePublisherMemory(b *testing.B) {
	const conns = 300
	h := &countHandler{}
	_, addr := startServer(b, h, ServerConfig{})
	pool := chunk.NewBufferPool()
	ctx := context.Background()
	frame := make([]byte, 32820)
	for range b.N {
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		cs := make([]*ClientConn, 0, conns)
		for i := range conns {
			c, err := Dial(ctx, fmt.Sprintf("rtmp://%s/live/cam%d", addr, i), ClientConfig{Pool: pool})
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Publish(ctx); err != nil {
				b.Fatal(err)
			}
			if err := c.WriteVideo(0, frame); err != nil {
				b.Fatal(err)
			}
			cs = append(cs, c)
		}
		for h.msgs.Load() < int64(conns*(b.N)) {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(float64(ms1.HeapAlloc-ms0.HeapAlloc)/conns, "heapB/conn-pair")
		b.ReportMetric(float64(ms1.StackInuse-ms0.StackInuse)/conns, "stackB/conn-pair")
		for _, c := range cs {
			c.Close()
		}
	}
}

// flakyListener fails its first accepts as a process out of descriptors.
type flakyListener struct {
	net.Listener
	fails atomic.Int32
}

func (f *flakyListener) Accept() (net.Conn, error) {
	if f.fails.Add(-1) >= 0 {
		return nil, fmt.Errorf("accept: %w", syscallEMFILE)
	}
	return f.Listener.Accept()
}

var syscallEMFILE = errors.New("too many open files")

// TestServeRetriesAcceptErrors: an accept error other than a closed
// listener does not stop the server.
func TestServeRetriesAcceptErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: ln}
	fl.fails.Store(3)
	h := &countHandler{}
	srv := NewServer(h, ServerConfig{})
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, fl) }()
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+ln.Addr().String()+"/live/s", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h.publishes.Load() != 1 {
		t.Errorf("publishes %d", h.publishes.Load())
	}
}
