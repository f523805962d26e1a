package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// jsonServer answers every request with a small JSON object and counts the
// connections it accepted.
func jsonServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", ContentJSON)
			_, _ = w.Write([]byte(`{"stored":true}`))
		}
	}
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func tcpDial(srv *httptest.Server) DialFunc {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", srv.Listener.Addr().String())
	}
}

// TestLinkTransportNoGoroutinePerConnection: a link client's keep-alive
// connection holds no goroutine of the client (net/http's Transport keeps
// two per connection); the connection is reused for the next request.
func TestLinkTransportNoGoroutinePerConnection(t *testing.T) {
	srv, conns := jsonServer(t, nil)
	const clients = 30
	before := runtime.NumGoroutine()
	cs := make([]*Client, clients)
	for i := range cs {
		c, err := New(srv.URL, Options{Dial: tcpDial(srv)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseIdle()
		if err := c.DestroyResources(context.Background(), "cam"); err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	// the server has a goroutine per connection; the clients none
	time.Sleep(50 * time.Millisecond)
	if grown := runtime.NumGoroutine() - before; grown > clients+5 {
		t.Fatalf("%d goroutines more for %d idle keep-alive connections (the server's are %d)", grown, clients, clients)
	}
	for _, c := range cs {
		if err := c.DestroyResources(context.Background(), "cam"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != clients {
		t.Fatalf("%d connections for %d clients making two requests each: keep-alive not kept", n, clients)
	}
}

// TestLinkTransportWireIsTransports: the bytes a link client writes for a
// request are the bytes net/http's Transport writes for it.
func TestLinkTransportWireIsTransports(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	heads := make(chan []byte, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				var raw bytes.Buffer
				_ = req.Write(&raw) // normalised: the headers as read, then the body
				body := raw.Bytes()
				heads <- body
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
			}()
		}
	}()
	base := "http://" + ln.Addr().String()
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
	}
	data := bytes.Repeat([]byte("slice bytes "), 3000)
	send := func(c *Client) []byte {
		t.Helper()
		s := cloudapi.SliceUpload{Device: "cam 1", Channel: 1, Seq: 9, Format: cloudapi.FormatTS,
			UTCStart: time.Unix(1000, 0).UTC(), UTCEnd: time.Unix(1010, 0).UTC(), Content: chunkContent{data: data, fail: -1}}
		if _, err := c.UploadSlice(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		return <-heads
	}
	link, err := New(base, Options{Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: dial, DisableCompression: true}
	defer tr.CloseIdleConnections()
	std, err := New(base, Options{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	got, want := send(link), send(std)
	if !bytes.Equal(got, want) {
		t.Fatalf("link client wrote\n%.600q\nTransport wrote\n%.600q", got, want)
	}
	if !bytes.Contains(got, data) || !strings.Contains(string(got), "Content-Length: 36000") {
		t.Fatalf("request without its body or length:\n%.400q", got)
	}
}

// TestLinkTransportServerClosedIdle: a keep-alive connection the server
// closed while it was idle is not used: the next request goes on a new
// connection and succeeds, and the dial is counted.
func TestLinkTransportServerClosedIdle(t *testing.T) {
	srv, conns := jsonServer(t, nil)
	var dials atomic.Int64
	c, err := New(srv.URL, Options{Dial: tcpDial(srv), OnDial: func() { dials.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdle()
	ctx := context.Background()
	if err := c.DestroyResources(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections() // the server drops its idle connections
	time.Sleep(20 * time.Millisecond)
	for i := range 3 {
		if err := c.DestroyResources(ctx, "cam"); err != nil {
			t.Fatalf("request %d after the server closed the idle connection: %v", i, err)
		}
	}
	if d, n := dials.Load(), conns.Load(); d != 2 || n != 2 {
		t.Fatalf("%d dials, %d server connections; want 2 each", d, n)
	}
}

// closingConn reads EOF once armed (its liveness check passed): the
// server closing a connection just as a request is sent on it.
type closingConn struct {
	net.Conn
	armed *atomic.Bool
}

func (c closingConn) Idle() bool { return true }

func (c closingConn) Read(p []byte) (int, error) {
	if c.armed.CompareAndSwap(true, false) {
		c.Conn.Close()
		return 0, io.EOF
	}
	return c.Conn.Read(p)
}

// TestLinkTransportRetriesReplayable: a request that fails on a reused
// connection before any reply byte is sent again on a new connection when
// it can be (a GET); a POST is not (Transport's rule), its error is the
// caller's.
func TestLinkTransportRetriesReplayable(t *testing.T) {
	srv, _ := jsonServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ContentJSON)
		_, _ = w.Write([]byte(`{"kind":"none","valid":true,"version":3}`))
	})
	var armed atomic.Bool
	var dials atomic.Int64
	dial := func(ctx context.Context, n, a string) (net.Conn, error) {
		dials.Add(1)
		c, err := tcpDial(srv)(ctx, n, a)
		if err != nil {
			return nil, err
		}
		return closingConn{Conn: c, armed: &armed}, nil
	}
	c, err := New(srv.URL, Options{Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdle()
	ctx := context.Background()
	if _, err := c.QueryPlan(ctx, "cam", 0, 0); err != nil {
		t.Fatal(err)
	}
	// the liveness check passes, then the reply fails
	armed.Store(true)
	if p, err := c.QueryPlan(ctx, "cam", 0, 0); err != nil || p.Version != 3 {
		t.Fatalf("GET on a connection closed under it: plan %+v, error %v; want a retry on a new connection", p, err)
	}
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d dials, want 2", n)
	}
	armed.Store(true)
	if err := c.DestroyResources(ctx, "cam"); err == nil {
		// DELETE is not replayable by Transport's rule either
		t.Fatal("DELETE on a connection closed under it succeeded without a retry rule allowing it")
	}
}

// TestLinkTransportCancel: a request blocked on its reply (a long poll)
// returns when its context ends, with the context's error, and its
// connection is not reused.
func TestLinkTransportCancel(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	srv, conns := jsonServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get(QueryKnownVersion) != "" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", ContentJSON)
		_, _ = w.Write([]byte(`{"kind":"none","valid":true,"version":1}`))
	})
	c, err := New(srv.URL, Options{Dial: tcpDial(srv)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdle()
	if _, err := c.QueryPlan(context.Background(), "cam", 0, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.QueryPlan(ctx, "cam", 0, 1)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("long poll past its context: error %v after %v", err, time.Since(start))
	}
	if _, err := c.QueryPlan(context.Background(), "cam", 0, 0); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections: the cancelled request's connection was reused", n)
	}
}

// TestLinkTransportLargeReply: a reply over the client's limit fails the
// call and its connection (not read to its end) is closed, not reused.
func TestLinkTransportLargeReply(t *testing.T) {
	srv, conns := jsonServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentJSON)
		_, _ = w.Write(bytes.Repeat([]byte(" "), 5000))
	})
	c, err := New(srv.URL, Options{Dial: tcpDial(srv), MaxReply: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdle()
	for range 2 {
		if err := c.DestroyResources(context.Background(), "cam"); err == nil {
			t.Fatal("a 5,000-byte reply passed a 1,000-byte limit")
		}
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections for two calls whose replies were not read to the end", n)
	}
}
