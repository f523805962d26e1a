package network

import (
	"net"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/network/memnet"
)

// TestSocketIdle: an open connection with nothing to read is idle; one
// with bytes to read, one whose peer closed it and one closed here are
// not — for a socket, a memnet connection and a link's connection over
// memnet — and the check neither waits nor consumes a byte.
func TestSocketIdle(t *testing.T) {
	type pair struct {
		here, peer net.Conn
	}
	tcp := func(t *testing.T) pair {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return pair{c, s}
	}
	mem := func(t *testing.T) pair {
		n := memnet.New(memnet.Options{})
		t.Cleanup(func() { n.Close() })
		ln, err := n.Listen("tcp", "10.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		acc := make(chan net.Conn, 1)
		go func() { s, _ := ln.Accept(); acc <- s }()
		c, err := n.Dial(t.Context(), "tcp", "10.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		return pair{c, <-acc}
	}
	link := func(t *testing.T) pair {
		p := mem(t)
		l, _ := newTestLink(t, Profile{}, "cam")
		c, err := l.wrapConn(p.here)
		if err != nil {
			t.Fatal(err)
		}
		return pair{c, p.peer}
	}
	for name, mk := range map[string]func(*testing.T) pair{"tcp": tcp, "memnet": mem, "link": link} {
		t.Run(name, func(t *testing.T) {
			settle := func() { time.Sleep(20 * time.Millisecond) } // a socket's FIN or bytes arrive
			p := mk(t)
			if !SocketIdle(p.here) {
				t.Fatal("an open connection with nothing to read is not idle")
			}
			if _, err := p.peer.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			settle()
			if SocketIdle(p.here) {
				t.Fatal("a connection with a byte to read is idle")
			}
			var one [1]byte
			if n, err := p.here.Read(one[:]); n != 1 || one[0] != 'x' {
				t.Fatalf("the check consumed the byte: read %d %q, %v", n, one[:n], err)
			}
			if !SocketIdle(p.here) {
				t.Fatal("idle again after the byte was read: not idle")
			}
			p.peer.Close()
			settle()
			if SocketIdle(p.here) {
				t.Fatal("a connection its peer closed is idle")
			}
			q := mk(t)
			q.here.Close()
			if SocketIdle(q.here) {
				t.Fatal("a connection closed here is idle")
			}
			q.peer.Close()
		})
	}
}
