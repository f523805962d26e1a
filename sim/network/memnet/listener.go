package memnet

import (
	"net"
	"sync"
)

// Listener accepts connections dialled to its port. It is a net.Listener.
type Listener struct {
	n     *Network
	addr  *net.TCPAddr
	queue chan *Conn // the backlog: server ends of dialled connections
	done  chan struct{}
	once  sync.Once
}

// Accept waits for the next connection. After Close it returns an error
// wrapping net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	if isClosed(l.done) {
		return nil, l.closedErr()
	}
	select {
	case c := <-l.queue:
		return c, nil
	case <-l.done:
		return nil, l.closedErr()
	}
}

// Close stops listening: blocked Accepts return, dials waiting for the
// backlog are refused, and queued connections nobody accepted are reset.
func (l *Listener) Close() error {
	first := false
	l.once.Do(func() { first = true; close(l.done) })
	if !first {
		return l.closedErr()
	}
	l.n.unlisten(l)
	l.drain()
	return nil
}

// drain resets queued connections.
func (l *Listener) drain() {
	for {
		select {
		case c := <-l.queue:
			c.SetLinger(0)
			c.Close()
		default:
			return
		}
	}
}

// Addr is 127.0.0.1:PORT.
func (l *Listener) Addr() net.Addr { return l.addr }

func (l *Listener) closedErr() error {
	return &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
}

var _ net.Listener = (*Listener)(nil)
