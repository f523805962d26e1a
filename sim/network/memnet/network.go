package memnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// DefaultBufferSize bounds what one direction of a connection buffers.
const DefaultBufferSize = 256 << 10

// DefaultBacklog bounds the connections waiting for Accept on a listener.
const DefaultBacklog = 4096

// Port ranges: listeners given port 0 and dialling ends take their ports
// from separate ranges, as the kernel's ephemeral range is apart from
// well-known services.
const (
	listenPortFirst, listenPortLast       = 20000, 29999
	ephemeralPortFirst, ephemeralPortLast = 32768, 60999
)

// Options configure a Network.
type Options struct {
	// BufferSize bounds each direction of each connection (default
	// DefaultBufferSize). Memory is taken in 16 KiB chunks only while data
	// waits to be read.
	BufferSize int
	// Backlog bounds the connections a listener queues before Accept
	// (default DefaultBacklog); a dial waits while the queue is full.
	Backlog int
}

// Network is one in-memory host. Its methods are safe for concurrent use.
type Network struct {
	opt   Options
	pool  sync.Pool // *chunk
	stats counters

	mu        sync.Mutex
	closed    bool
	listeners map[int]*Listener
	nextPort  int
	nextEphem int
}

// New makes an empty network.
func New(o Options) *Network {
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.Backlog <= 0 {
		o.Backlog = DefaultBacklog
	}
	n := &Network{opt: o, listeners: map[int]*Listener{}, nextPort: listenPortFirst, nextEphem: ephemeralPortFirst}
	n.pool.New = func() any { return new(chunk) }
	return n
}

// ErrNetworkClosed is returned by Listen and Dial after Close.
var ErrNetworkClosed = errors.New("memnet: network closed")

var loopback = net.IPv4(127, 0, 0, 1).To4()

// Listen listens on "host:port" (any host names this network's one host;
// port 0 picks a free port, which Addr reports). network is "tcp", "tcp4"
// or "tcp6". The signature fits net.Listen.
func (n *Network) Listen(network, address string) (net.Listener, error) {
	return n.ListenTCP(network, address)
}

// ListenTCP is Listen returning the concrete type.
func (n *Network) ListenTCP(network, address string) (*Listener, error) {
	fail := func(err error) (*Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if !isTCP(network) {
		return fail(net.UnknownNetworkError(network))
	}
	port, err := parsePort(address)
	if err != nil {
		return fail(err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return fail(ErrNetworkClosed)
	}
	if port == 0 {
		for tries := 0; ; tries++ {
			if tries > listenPortLast-listenPortFirst {
				return fail(os.NewSyscallError("bind", syscall.EADDRINUSE))
			}
			p := n.nextPort
			n.nextPort++
			if n.nextPort > listenPortLast {
				n.nextPort = listenPortFirst
			}
			if n.listeners[p] == nil {
				port = p
				break
			}
		}
	} else if n.listeners[port] != nil {
		return fail(os.NewSyscallError("bind", syscall.EADDRINUSE))
	}
	l := &Listener{n: n, addr: &net.TCPAddr{IP: loopback, Port: port},
		queue: make(chan *Conn, n.opt.Backlog), done: make(chan struct{})}
	n.listeners[port] = l
	return l, nil
}

// Dial connects to "host:port" on this network (any host names this
// network's one host). It fails with an error wrapping
// syscall.ECONNREFUSED when nobody listens there, and with ctx's error when
// ctx ends first. The signature fits net.Dialer.DialContext.
func (n *Network) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	fail := func(err error) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: addrOf(address), Err: err}
	}
	if !isTCP(network) {
		return fail(net.UnknownNetworkError(network))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	port, err := parsePort(address)
	if err != nil {
		return fail(err)
	}
	if port == 0 {
		return fail(os.NewSyscallError("connect", syscall.EADDRNOTAVAIL))
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return fail(ErrNetworkClosed)
	}
	l := n.listeners[port]
	local := &net.TCPAddr{IP: loopback, Port: n.nextEphem}
	n.nextEphem++
	if n.nextEphem > ephemeralPortLast {
		n.nextEphem = ephemeralPortFirst
	}
	n.mu.Unlock()
	refused := os.NewSyscallError("connect", syscall.ECONNREFUSED)
	if l == nil {
		n.stats.refused.Add(1)
		return fail(refused)
	}
	cli, srv := pair(n, local, l.addr)
	select {
	case l.queue <- srv:
	case <-l.done:
		n.stats.refused.Add(1)
		return fail(refused)
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if isClosed(l.done) {
		// the listener closed while this connection was queued: whoever
		// drained the queue reset it, or nobody will
		l.drain()
		cli.SetLinger(0)
		cli.Close()
		n.stats.refused.Add(1)
		return fail(refused)
	}
	n.stats.dials.Add(1)
	return cli, nil
}

// Close closes every listener; later Listen and Dial calls fail.
// Established connections are their owners' to close.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	ls := make([]*Listener, 0, len(n.listeners))
	for _, l := range n.listeners {
		ls = append(ls, l)
	}
	n.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	return nil
}

func (n *Network) unlisten(l *Listener) {
	n.mu.Lock()
	if n.listeners[l.addr.Port] == l {
		delete(n.listeners, l.addr.Port)
	}
	n.mu.Unlock()
}

func isTCP(network string) bool {
	return network == "tcp" || network == "tcp4" || network == "tcp6"
}

func parsePort(address string) (int, error) {
	_, ps, err := net.SplitHostPort(address)
	if err != nil {
		return 0, err
	}
	p, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return 0, &net.AddrError{Err: "invalid port", Addr: address}
	}
	return int(p), nil
}

// addrOf is address as a net.Addr for error messages.
func addrOf(address string) net.Addr {
	if p, err := parsePort(address); err == nil {
		return &net.TCPAddr{IP: loopback, Port: p}
	}
	return nil
}

// String names the network for logs.
func (n *Network) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fmt.Sprintf("memnet(%d listeners)", len(n.listeners))
}
