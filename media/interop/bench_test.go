package interop

import (
	"bytes"
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/media/rtmp/handshake"
)

// sinkConn is an in-memory RTMP server for the sending side: its reads
// replay a scripted server (handshake, connect and createStream results,
// NetStream.Publish.Start) and then block until Close; its writes are
// counted and dropped.
type sinkConn struct {
	script  *bytes.Reader
	mu      sync.Mutex
	closed  chan struct{}
	once    sync.Once
	writes  int
	written int
}

func newSinkConn(tb testing.TB) *sinkConn {
	var b bytes.Buffer
	b.WriteByte(handshake.Version)
	b.Write(make([]byte, 2*handshake.PacketSize))
	w := chunk.NewWriter(&b)
	for _, m := range []rtmp.Message{rtmp.WindowAckSizeMessage(2500000), rtmp.SetPeerBandwidthMessage(2500000, rtmp.LimitDynamic)} {
		if err := w.Append(&m); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.AppendSetChunkSize(4096); err != nil {
		tb.Fatal(err)
	}
	ok := &rtmp.Status{Level: rtmp.LevelStatus, Code: rtmp.CodeConnectSuccess}
	start := &rtmp.Status{Level: rtmp.LevelStatus, Code: rtmp.CodePublishStart}
	for _, c := range []struct {
		sid uint32
		cmd rtmp.Command
	}{
		{0, rtmp.Command{Name: rtmp.CmdResult, TxID: 1, Object: amf0.Object{{Key: "fmsVer", Value: "FMS/3,5,7,7009"}}, Args: []any{ok.Object()}}},
		{0, rtmp.Command{Name: rtmp.CmdResult, TxID: 4, Args: []any{1.0}}},
		{1, rtmp.Command{Name: rtmp.CmdOnStatus, Args: []any{start.Object()}}},
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
	return &sinkConn{script: bytes.NewReader(b.Bytes()), closed: make(chan struct{})}
}

func (s *sinkConn) Read(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.script.Read(p)
	s.mu.Unlock()
	if err == io.EOF {
		<-s.closed
		return 0, net.ErrClosed
	}
	return n, err
}

func (s *sinkConn) Write(p []byte) (int, error) {
	s.writes++
	s.written += len(p)
	return len(p), nil
}

func (s *sinkConn) Close() error                       { s.once.Do(func() { close(s.closed) }); return nil }
func (s *sinkConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (s *sinkConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (s *sinkConn) SetDeadline(t time.Time) error      { return nil }
func (s *sinkConn) SetReadDeadline(t time.Time) error  { return nil }
func (s *sinkConn) SetWriteDeadline(t time.Time) error { return nil }

// benchCameraSeconds publishes b.N camera-seconds of the sub-stream profile
// (640x360 15 fps GOP 30 512 kbps H.264 with stamps + 32 kbps AAC 16 kHz):
// frame synthesis, stamping, FLV tag bodies, chunking and the socket write.
// It reports ns and allocations per camera-second and per frame.
func benchCameraSeconds(b *testing.B, dial rtmp.DialFunc, url string, sink *sinkConn, pool *chunk.BufferPool) {
	cam, err := newCamera(subStream())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := rtmp.Dial(ctx, url, rtmp.ClientConfig{Dial: dial, WriteTimeout: 10 * time.Second, Pool: pool})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		b.Fatal(err)
	}
	if err := cam.start(c); err != nil {
		b.Fatal(err)
	}
	// Warm up one GOP so buffers reach their working size.
	if err := cam.sendUntil(c, uint64(cam.cfg.GOP)); err != nil {
		b.Fatal(err)
	}
	v0, a0 := cam.vseq, cam.aseq
	writes0 := 0
	if sink != nil {
		writes0 = sink.writes
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := cam.sendUntil(c, v0+uint64(i+1)*uint64(cam.cfg.FPS)); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	// CPU time, unlike ns/op, does not count waiting for a core on a
	// shared machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	runtime.ReadMemStats(&ms1)
	frames := float64(cam.vseq - v0 + cam.aseq - a0)
	b.ReportMetric(frames/float64(b.N), "frames/op")
	b.ReportMetric(float64(elapsed.Nanoseconds())/frames, "ns/frame")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/frames, "allocs/frame")
	if sink != nil {
		b.ReportMetric(float64(sink.writes-writes0)/frames, "writes/frame")
		b.ReportMetric(float64(sink.written)/float64(b.N+2), "wireB/op")
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCameraSecondInMemory: the sending side alone, into an in-memory
// sink (one op = one camera-second).
func BenchmarkCameraSecondInMemory(b *testing.B) {
	b.ReportAllocs()
	sink := newSinkConn(b)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) { return sink, nil }
	benchCameraSeconds(b, dial, "rtmp://sink/live/cam42", sink, nil)
}

// BenchmarkCameraSecondInMemoryPooled: the same with send buffers borrowed
// from a pool shared by connections (what a fleet of cameras uses).
func BenchmarkCameraSecondInMemoryPooled(b *testing.B) {
	b.ReportAllocs()
	sink := newSinkConn(b)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) { return sink, nil }
	benchCameraSeconds(b, dial, "rtmp://sink/live/cam42", sink, chunk.NewBufferPool())
}

// BenchmarkCameraSecondLoopback: the same over TCP loopback into our own
// server (its receiving CPU runs on other goroutines and is not in ns/op
// unless the socket blocks).
func BenchmarkCameraSecondLoopback(b *testing.B) {
	b.ReportAllocs()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := rtmp.NewServer(rtmp.NopHandler{}, rtmp.ServerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	benchCameraSeconds(b, nil, "rtmp://"+ln.Addr().String()+"/live/cam42", nil, nil)
}

// TestSendingSideAllocations guards the allocation budget of the sending
// path (≤ 2 per frame; it is 0 in steady state) with a deterministic count.
func TestSendingSideAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	sink := newSinkConn(t)
	cam, err := newCamera(subStream())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 10*time.Second)
	c, err := rtmp.Dial(ctx, "rtmp://sink/live/cam42", rtmp.ClientConfig{
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) { return sink, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cam.start(c); err != nil {
		t.Fatal(err)
	}
	if err := cam.sendUntil(c, 30); err != nil {
		t.Fatal(err)
	}
	target := cam.vseq
	allocs := testing.AllocsPerRun(20, func() {
		target += 15
		if err := cam.sendUntil(c, target); err != nil {
			t.Fatal(err)
		}
	})
	perFrame := allocs / 30.6
	if perFrame > 2 {
		t.Errorf("%.2f allocations per frame, budget 2", perFrame)
	}
	w0 := sink.writes
	v0, a0 := cam.vseq, cam.aseq
	if err := cam.sendUntil(c, target+15); err != nil {
		t.Fatal(err)
	}
	if frames := int(cam.vseq - v0 + cam.aseq - a0); sink.writes-w0 != frames {
		t.Errorf("%d socket writes for %d frames, want one per frame", sink.writes-w0, frames)
	}
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
