package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/network"
)

// linkTransport is the http.RoundTripper of a client that dials through a
// simulated link: HTTP/1.1 with keep-alive, each request written and its
// reply read on the caller's goroutine. net/http's Transport keeps two
// goroutines per open connection (a reader and a writer) for the
// connection's whole life; a fleet of cameras, each with a keep-alive
// connection to its cloud, held two idle goroutines per camera — 10,000 at
// 5,000 cameras, and their stacks, scanned by every collection — plus a
// 4 KiB write buffer and a read buffer per connection. Here an idle
// connection is only its socket: the buffers are pooled and taken for a
// request.
//
// What goes on the wire is what Transport writes (http.Request.Write: the
// same request line, headers and body, a body with its Content-Length
// copied through the connection's ReadFrom). A reply must be read to its
// end and closed for its connection to be used again, as with Transport.
// Without a reader goroutine an idle connection's close is seen when it is
// taken: a connection that was idle is checked first (a read that must
// find nothing), and a request that fails on a reused connection before
// any reply byte is sent again on a new one when it can be replayed
// (Transport's rule: no body or GetBody, and an idempotent method).
type linkTransport struct {
	dial        DialFunc
	maxIdle     int
	idleTimeout time.Duration

	mu   sync.Mutex
	idle []*idleConn // most recently used last
}

// idleConn is one connection of a linkTransport.
type idleConn struct {
	c    net.Conn
	idle time.Time // when it was put back (wall clock: Transport's IdleConnTimeout is too)
}

// Buffers of requests in progress, shared by every client (a camera sends
// a request every few seconds: too seldom for buffers of its own to be
// worth keeping).
var (
	linkWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
	linkReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, replyBufSize) }}
)

func newLinkTransport(dial DialFunc) *linkTransport {
	return &linkTransport{dial: dial, maxIdle: 4, idleTimeout: 90 * time.Second}
}

// RoundTrip implements http.RoundTripper.
func (t *linkTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for {
		pc, reused, err := t.get(ctx, req)
		if err != nil {
			closeReqBody(req)
			return nil, err
		}
		resp, retry, err := t.exchange(ctx, pc, req, reused)
		if err == nil {
			return resp, nil
		}
		if !retry {
			return nil, err
		}
		// a reused connection the server had closed: a new one
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			r := *req
			r.Body = body
			req = &r
		}
	}
}

// exchange writes req on pc and reads its reply head. retry reports that
// the request failed on a reused connection before any reply byte and can
// be sent again.
func (t *linkTransport) exchange(ctx context.Context, pc *idleConn, req *http.Request, reused bool) (*http.Response, bool, error) {
	// the context's end closes the connection: a blocked write or read
	// returns, and the connection is not used again
	stop := context.AfterFunc(ctx, func() { pc.c.Close() })
	bw := linkWriters.Get().(*bufio.Writer)
	bw.Reset(pc.c)
	werr := req.Write(bw) // closes req.Body
	if werr == nil {
		werr = bw.Flush()
	}
	bw.Reset(nil)
	linkWriters.Put(bw)
	if werr != nil {
		stop()
		pc.c.Close()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, werr
	}
	br := linkReaders.Get().(*bufio.Reader)
	cr := &countingReader{r: pc.c}
	br.Reset(cr)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		stop()
		pc.c.Close()
		br.Reset(nil)
		linkReaders.Put(br)
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, reused && cr.n == 0 && replayable(req), err
	}
	resp.Body = &linkBody{rc: resp.Body, t: t, pc: pc, br: br, stop: stop,
		keep: !resp.Close && !req.Close && resp.ContentLength >= 0, eof: resp.ContentLength == 0}
	return resp, false, nil
}

// get returns an idle connection that is still open, or a new one.
func (t *linkTransport) get(ctx context.Context, req *http.Request) (*idleConn, bool, error) {
	for {
		t.mu.Lock()
		var pc *idleConn
		if n := len(t.idle); n > 0 {
			pc = t.idle[n-1]
			t.idle[n-1] = nil
			t.idle = t.idle[:n-1]
		}
		t.mu.Unlock()
		if pc == nil {
			break
		}
		if time.Since(pc.idle) < t.idleTimeout && alive(pc.c) {
			return pc, true, nil
		}
		pc.c.Close()
	}
	c, err := t.dial(ctx, "tcp", canonicalAddr(req))
	if err != nil {
		return nil, false, err
	}
	return &idleConn{c: c}, false, nil
}

// put keeps pc for the next request, or closes it when enough are kept.
func (t *linkTransport) put(pc *idleConn) {
	pc.idle = time.Now()
	t.mu.Lock()
	if len(t.idle) < t.maxIdle {
		t.idle = append(t.idle, pc)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	pc.c.Close()
}

// CloseIdleConnections closes the idle connections (http.Client calls it).
func (t *linkTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, pc := range idle {
		pc.c.Close()
	}
}

// alive reports whether an idle connection is still open with nothing to
// read (network.SocketIdle: the server has not closed it nor sent a reply
// nobody asked for).
func alive(c net.Conn) bool {
	if cc, ok := c.(copyConn); ok {
		c = cc.Conn
	}
	return network.SocketIdle(c)
}

// replayable is Transport's rule for sending a request again on a new
// connection.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// canonicalAddr is the request's host:port (port 80 or 443 by scheme when
// the URL has none).
func canonicalAddr(req *http.Request) string {
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(host, port)
}

func closeReqBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// linkBody is a reply's body: closed after it was read to its end, its
// connection is kept for the next request, else closed.
type linkBody struct {
	rc   io.ReadCloser
	t    *linkTransport
	pc   *idleConn
	br   *bufio.Reader
	stop func() bool
	keep bool // the reply and request allow keep-alive and the body has a length
	eof  bool
	done bool
}

func (b *linkBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, errBodyClosed
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

var errBodyClosed = errors.New("httpapi: read on a closed reply body")

// Close implements io.Closer.
func (b *linkBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	// the context's end after this point must not close a connection
	// another request may be using: stop reports whether it had fired
	notFired := b.stop()
	reuse := b.keep && b.eof && notFired && b.br.Buffered() == 0
	if !reuse {
		// closed first, so that closing the body does not read the rest
		// of a reply whose connection is dropped anyway
		b.pc.c.Close()
	}
	b.rc.Close()
	b.br.Reset(nil)
	linkReaders.Put(b.br)
	if reuse {
		b.t.put(b.pc)
	}
	return nil
}
