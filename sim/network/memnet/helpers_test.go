package memnet

import (
	"context"
	"net"
	"testing"
	"time"
)

// stack is a network under test: memnet, or the kernel's loopback TCP that
// memnet imitates (the conformance table runs on both, so that every
// expectation is also checked against the real thing).
type stack struct {
	name   string
	memory bool
	listen func(t *testing.T) net.Listener
	dial   func(ctx context.Context, address string) (net.Conn, error)
	buffer int // memnet's per-direction bound (0 for tcp)
}

func stacks(t *testing.T) []stack {
	n := New(Options{BufferSize: 64 << 10})
	t.Cleanup(func() { n.Close() })
	var d net.Dialer
	return []stack{
		{name: "memnet", memory: true, buffer: 64 << 10,
			listen: func(t *testing.T) net.Listener {
				l, err := n.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				return l
			},
			dial: func(ctx context.Context, a string) (net.Conn, error) { return n.Dial(ctx, "tcp", a) }},
		{name: "tcp",
			listen: func(t *testing.T) net.Listener {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				return l
			},
			dial: func(ctx context.Context, a string) (net.Conn, error) { return d.DialContext(ctx, "tcp", a) }},
	}
}

// connPair dials a fresh listener and returns (client, server); both are
// closed at the end of the test.
func (s stack) connPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	l := s.listen(t)
	type res struct {
		c   net.Conn
		err error
	}
	acc := make(chan res, 1)
	go func() { c, err := l.Accept(); acc <- res{c, err} }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := s.dial(ctx, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { c.Close(); r.c.Close() })
	return c, r.c
}

// goErr runs f in a goroutine and returns a channel of its error.
func goErr(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// waitErr waits (at most a minute, a safety net, not a timing assertion)
// for an error from ch.
func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(time.Minute):
		t.Fatal("blocked call never returned")
		return nil
	}
}
