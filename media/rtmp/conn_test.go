package rtmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a Handler that records what it is asked and received, and
// rejects according to its fields.
type recorder struct {
	mu          sync.Mutex
	connects    []ConnectRequest
	publishes   []StreamRequest
	unpublishes []StreamRequest
	msgs        []Message
	closed      []error
	rejectConn  error
	rejectPub   error
	rejectPlay  error
	onPlay      func(c *ServerConn, req *StreamRequest)
	closedCh    chan struct{}
}

func newRecorder() *recorder { return &recorder{closedCh: make(chan struct{}, 16)} }

func (r *recorder) OnConnect(c *ServerConn, req *ConnectRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects = append(r.connects, *req)
	return r.rejectConn
}

func (r *recorder) OnPublish(c *ServerConn, req *StreamRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publishes = append(r.publishes, *req)
	return r.rejectPub
}

func (r *recorder) OnPlay(c *ServerConn, req *StreamRequest) error {
	if r.rejectPlay != nil {
		return r.rejectPlay
	}
	if r.onPlay != nil {
		go r.onPlay(c, req)
	}
	return nil
}

func (r *recorder) OnMessage(c *ServerConn, m *Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cp := *m
	cp.Payload = bytes.Clone(m.Payload)
	r.msgs = append(r.msgs, cp)
	return nil
}

func (r *recorder) OnUnpublish(c *ServerConn, req *StreamRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unpublishes = append(r.unpublishes, *req)
}

func (r *recorder) OnClose(c *ServerConn, err error) {
	r.mu.Lock()
	r.closed = append(r.closed, err)
	r.mu.Unlock()
	r.closedCh <- struct{}{}
}

// startServer runs a Server for h on a loopback port until the test ends.
func startServer(t testing.TB, h Handler, cfg ServerConfig) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(h, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPublishToServer(t *testing.T) {
	rec := newRecorder()
	_, addr := startServer(t, rec, ServerConfig{ChunkSize: 60000})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/cam-0001/1560096712?t=1560096712&k=4f88e741140240e2",
		ClientConfig{ChunkSize: 60000, FourCCList: []string{"hvc1", "avc1"}, QueryInTCURL: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Connect == nil || c.Connect.Code != CodeConnectSuccess {
		t.Errorf("connect status %+v", c.Connect)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	md := amf0.ECMAArray{{Key: "width", Value: 640.0}, {Key: "height", Value: 360.0}, {Key: "videocodecid", Value: 7.0}}
	if err := c.WriteMetadata(md); err != nil {
		t.Fatal(err)
	}
	var sent []Message
	big := bytes.Repeat([]byte{0x17, 1, 0, 0, 0}, 30000) // 150 kB: several 60000-byte chunks
	for i := range 30 {
		ts := Timestamp(i * 66)
		v := []byte{0x27, 1, 0, 0, 0, byte(i)}
		if i%15 == 0 {
			v = big
		}
		if err := c.WriteVideo(ts, v); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, Message{Type: chunk.TypeVideo, Timestamp: ts, Payload: v})
		a := []byte{0xaf, 1, byte(i)}
		if err := c.WriteAudio(ts, a); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, Message{Type: chunk.TypeAudio, Timestamp: ts, Payload: a})
	}
	batch := []Message{{Type: chunk.TypeVideo, Timestamp: 2000, Payload: []byte{0x27, 1}}, {Type: chunk.TypeAudio, Timestamp: 2000, Payload: []byte{0xaf, 1}}}
	sent = append(sent, batch...)
	if err := c.WriteMessages(append([]Message(nil), batch...)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec.closedCh

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.connects) != 1 {
		t.Fatalf("connects: %d", len(rec.connects))
	}
	cr := rec.connects[0]
	if cr.App != "live" || cr.Query.Get("k") != "4f88e741140240e2" || fmt.Sprint(cr.FourCCList) != "[hvc1 avc1]" {
		t.Errorf("connect request %+v", cr)
	}
	if len(rec.publishes) != 1 {
		t.Fatalf("publishes: %d", len(rec.publishes))
	}
	pr := rec.publishes[0]
	if pr.Stream != "cam-0001/1560096712" || pr.Query.Get("t") != "1560096712" || pr.Type != "live" || pr.App != "live" {
		t.Errorf("publish request %+v", pr)
	}
	if len(rec.unpublishes) != 1 || rec.unpublishes[0].Stream != pr.Stream {
		t.Errorf("unpublishes %+v", rec.unpublishes)
	}
	if len(rec.closed) != 1 || rec.closed[0] != nil {
		t.Errorf("close reasons %v", rec.closed)
	}
	if len(rec.msgs) != 1+len(sent) {
		t.Fatalf("received %d messages, want %d", len(rec.msgs), 1+len(sent))
	}
	d, err := ParseData(&rec.msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := d.Metadata(); !ok || got.String("width") != "" || fmt.Sprint(got) != fmt.Sprint(amf0.Object(md)) {
		t.Errorf("metadata %+v", got)
	}
	for i, w := range sent {
		g := rec.msgs[i+1]
		if g.Type != w.Type || g.Timestamp != w.Timestamp || !bytes.Equal(g.Payload, w.Payload) || g.StreamID != c.StreamID() {
			t.Fatalf("message %d: got %v ts %d len %d, want %v ts %d len %d", i, g.Type, g.Timestamp, len(g.Payload), w.Type, w.Timestamp, len(w.Payload))
		}
	}
}

func TestRejections(t *testing.T) {
	tests := []struct {
		name       string
		rejectConn error
		rejectPub  error
		stage      Stage
		code       string
		ingest     *IngestCode
	}{
		{"non-existent app", IngestNonExistApp, nil, StageConnect, CodeConnectInvalidApp, &IngestNonExistApp},
		{"blacklisted", IngestBlacklisted, nil, StageConnect, CodeConnectRejected, &IngestBlacklisted},
		{"generic connect refusal", errors.New("go away"), nil, StageConnect, CodeConnectRejected, nil},
		{"stream exists", nil, IngestStreamExists, StagePublish, CodePublishBadName, &IngestStreamExists},
		{"auth failed", nil, IngestAuthFailed, StagePublish, CodePublishRejected, &IngestAuthFailed},
		{"auth missing", nil, IngestAuthMissing, StagePublish, CodePublishRejected, &IngestAuthMissing},
		{"url expired", nil, fmt.Errorf("checking: %w", IngestURLExpired), StagePublish, CodePublishRejected, &IngestURLExpired},
		{"custom status", nil, &Status{Level: LevelError, Code: "NetStream.Publish.Denied", Description: "no"}, StagePublish, "NetStream.Publish.Denied", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			rec.rejectConn, rec.rejectPub = tc.rejectConn, tc.rejectPub
			_, addr := startServer(t, rec, ServerConfig{})
			ctx := ctxT(t)
			c, err := Dial(ctx, "rtmp://"+addr+"/live/s", ClientConfig{})
			if err == nil {
				err = c.Publish(ctx)
				defer c.Close()
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Stage() != tc.stage || StageOf(err) != tc.stage {
				t.Errorf("stage %v, want %v", e.Stage(), tc.stage)
			}
			if e.Status == nil || e.Status.Code != tc.code || e.Status.Level != LevelError {
				t.Fatalf("status %+v, want code %s", e.Status, tc.code)
			}
			if tc.ingest != nil {
				if e.Status.Ingest == nil || *e.Status.Ingest != *tc.ingest || e.Status.Description != tc.ingest.Description() {
					t.Errorf("ingest %+v %q, want %+v", e.Status.Ingest, e.Status.Description, *tc.ingest)
				}
			}
			<-rec.closedCh
		})
	}
}

func TestPlayFromServer(t *testing.T) {
	rec := newRecorder()
	rec.onPlay = func(c *ServerConn, req *StreamRequest) {
		for i := range 20 {
			m := Message{Type: chunk.TypeVideo, StreamID: req.StreamID, Timestamp: Timestamp(i * 40), Payload: []byte{0x17, 1, byte(i)}}
			if err := c.WriteMessage(&m); err != nil {
				return
			}
		}
		_ = c.StopPlay(req.StreamID)
	}
	_, addr := startServer(t, rec, ServerConfig{})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/s", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Play(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for n < 20 {
		m, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != chunk.TypeVideo {
			continue
		}
		if m.Payload[2] != byte(n) || m.Timestamp != Timestamp(n*40) {
			t.Fatalf("frame %d: % x ts %d", n, m.Payload, m.Timestamp)
		}
		n++
	}
	for {
		m, err := c.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after the frames: %v", err)
		}
		if m.Type == chunk.TypeVideo {
			t.Fatal("more frames than sent")
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPlayNotFound(t *testing.T) {
	rec := newRecorder()
	rec.rejectPlay = IngestNonExistStream
	_, addr := startServer(t, rec, ServerConfig{})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/nothing", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Play(ctx)
	var e *Error
	if !errors.As(err, &e) || e.Status == nil || e.Status.Code != CodePlayStreamNotFound {
		t.Fatalf("err = %v", err)
	}
}

func TestDialStages(t *testing.T) {
	// A listener that accepts and never answers: the handshake times out.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	// A closed port: connection refused.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	// A server that closes right after accepting: handshake fails.
	slam, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer slam.Close()
	go func() {
		for {
			c, err := slam.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	dnsFail := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "cam.invalid", IsNotFound: true}}
	}
	tests := []struct {
		name    string
		url     string
		dial    DialFunc
		timeout time.Duration
		stage   Stage
		during  Stage
	}{
		{"invalid scheme", "http://h/app/s", nil, time.Second, StageInvalidURL, StageInvalidURL},
		{"no app", "rtmp://h/", nil, time.Second, StageInvalidURL, StageInvalidURL},
		{"bad port", "rtmp://h:99999/a/s", nil, time.Second, StageInvalidURL, StageInvalidURL},
		{"dns", "rtmp://cam.invalid/app/s", dnsFail, time.Second, StageDNS, StageDNS},
		{"refused", "rtmp://" + closedAddr + "/app/s", nil, time.Second, StageSocket, StageSocket},
		{"handshake closed", "rtmp://" + slam.Addr().String() + "/app/s", nil, time.Second, StageHandshake, StageHandshake},
		{"handshake timeout", "rtmp://" + silent.Addr().String() + "/app/s", nil, 200 * time.Millisecond, StageTimeout, StageHandshake},
		{"setup timeout without a context deadline", "rtmp://" + silent.Addr().String() + "/app/s", nil, 0, StageTimeout, StageHandshake},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if tc.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), tc.timeout)
			}
			defer cancel()
			_, err := Dial(ctx, tc.url, ClientConfig{Dial: tc.dial, SetupTimeout: 300 * time.Millisecond})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			if e.Stage() != tc.stage || e.During() != tc.during {
				t.Errorf("stage %v during %v (%v), want %v during %v", e.Stage(), e.During(), err, tc.stage, tc.during)
			}
		})
	}
}

// TestDialCancelled: cancelling the context mid-handshake fails the
// handshake stage (not a timeout) with context.Canceled as the cause.
func TestDialCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		c := <-accepted
		defer c.Close()
		// Cancel once the client is in the handshake (C0C1 arrived).
		if _, err := io.ReadFull(c, make([]byte, 1537)); err == nil {
			cancel()
		}
		_, _ = io.Copy(io.Discard, c)
	}()
	_, err = Dial(ctx, "rtmp://"+ln.Addr().String()+"/live/s", ClientConfig{})
	var e *Error
	if !errors.As(err, &e) || e.Stage() != StageHandshake || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a cancelled handshake", err)
	}
}

// TestServerGracefulShutdown: cancelling Serve's context closes open
// connections; the client sees its connection end with StageClose.
func TestServerGracefulShutdown(t *testing.T) {
	rec := newRecorder()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(rec, ServerConfig{})
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln) }()
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+ln.Addr().String()+"/live/s", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Conns() != 1 {
		t.Errorf("Conns = %d", s.Conns())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if StageOf(c.Err()) != StageClose {
		t.Errorf("client err %v", c.Err())
	}
	if s.Conns() != 0 {
		t.Errorf("Conns after shutdown = %d", s.Conns())
	}
	c.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.unpublishes) != 1 || len(rec.closed) != 1 || rec.closed[0] != nil {
		t.Errorf("unpublishes %d closed %v", len(rec.unpublishes), rec.closed)
	}
}

// TestServerIdleTimeout: a publisher that goes silent is dropped after the
// idle timeout, with a timeout error.
func TestServerIdleTimeout(t *testing.T) {
	rec := newRecorder()
	_, addr := startServer(t, rec, ServerConfig{IdleTimeout: 100 * time.Millisecond})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/s", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	<-rec.closedCh
	var ne net.Error
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.closed) != 1 || !errors.As(rec.closed[0], &ne) || !ne.Timeout() {
		t.Errorf("close reason %v, want a timeout", rec.closed)
	}
}

func TestMaxConns(t *testing.T) {
	rec := newRecorder()
	_, addr := startServer(t, rec, ServerConfig{MaxConns: 1})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/a", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Dial(ctx, "rtmp://"+addr+"/live/b", ClientConfig{}); StageOf(err) != StageHandshake {
		t.Errorf("second connection: %v, want a handshake failure", err)
	}
}
