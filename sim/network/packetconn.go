package network

import (
	"net"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// PacketConn is a datagram socket through a link: every datagram meets the
// up direction's stages on WriteTo (loss, duplication, corruption, queue,
// capacity, delay, jitter, reordering: it reaches the real socket when the
// model says it arrives, or never) and the down direction's on ReadFrom.
// Writes never block. Made by Link.Dial("udp", …) it is also a net.Conn.
//
// Downlink datagrams are delivered in the order the real socket returns
// them (reordering and jitter below the spacing of arrivals do not apply
// downward); duplicates and corruption do.
type PacketConn struct {
	l    *Link
	raw  net.PacketConn
	conn net.Conn // when connected

	mu       sync.Mutex
	q        dgramHeap
	seq      uint64
	timer    clock.Timer
	armed    time.Time // when the timer fires; zero when not armed
	flushing bool
	closed   bool
	done     chan struct{}

	rmu     sync.Mutex
	dup     []byte // a downlink duplicate waiting to be read
	dupFrom net.Addr
	dupAt   time.Time
}

type dgram struct {
	buf *[]byte // pooled copy of the datagram
	to  net.Addr
	due time.Time
	seq uint64
}

// dgramHeap orders datagrams by arrival (then by sending order); its own
// push and pop avoid boxing each datagram into an interface.
type dgramHeap []dgram

func (h dgramHeap) less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}

func (h *dgramHeap) push(d dgram) {
	*h = append(*h, d)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *dgramHeap) pop() dgram {
	q := *h
	d := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = dgram{}
	q = q[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return d
}

func (l *Link) wrapPacket(raw net.PacketConn, conn net.Conn) (net.Conn, error) {
	p := &PacketConn{l: l, raw: raw, conn: conn, done: make(chan struct{})}
	if !l.track(p) {
		raw.Close()
		return nil, net.ErrClosed
	}
	return p, nil
}

// WriteTo sends b to addr through the link. It returns len(b) even when the
// link loses the datagram, as a real UDP socket would.
func (p *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	now := p.l.clk.Now()
	var out [2]Packet
	p.l.mu.Lock()
	n, _ := p.l.up.datagram(now, len(b), &out)
	p.l.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: net.ErrClosed}
	}
	for i := 0; i < n; i++ {
		buf := getBuf(len(b))
		copy(*buf, b)
		if out[i].Corrupt {
			flipBit(*buf, out[i].CorruptBit)
		}
		p.seq++
		p.q.push(dgram{buf: buf, to: addr, due: out[i].At, seq: p.seq})
	}
	if len(p.q) > 0 && !p.flushing {
		p.armLocked()
	}
	return len(b), nil
}

// Write sends b on a connected socket.
func (p *PacketConn) Write(b []byte) (int, error) { return p.WriteTo(b, nil) }

func (p *PacketConn) armLocked() {
	at := p.l.flushAt(p.q[0].due)
	if !p.armed.IsZero() && !p.armed.After(at) {
		return
	}
	p.armed = at
	d := at.Sub(p.l.clk.Now())
	if p.timer == nil {
		p.timer = p.l.clk.AfterFunc(d, p.flush)
	} else {
		p.timer.Reset(d)
	}
}

func (p *PacketConn) flush() {
	p.mu.Lock()
	if p.flushing || p.closed {
		p.mu.Unlock()
		return
	}
	p.flushing = true
	p.armed = time.Time{}
	for {
		now := p.l.clk.Now()
		if len(p.q) == 0 || p.q[0].due.After(now) {
			break
		}
		d := p.q.pop()
		p.mu.Unlock()
		// Datagram errors (ICMP unreachable, full buffers) are what UDP
		// would silently lose; they are not the sender's to see.
		if p.conn != nil {
			p.conn.Write(*d.buf)
		} else {
			p.raw.WriteTo(*d.buf, d.to)
		}
		putBuf(d.buf)
		p.mu.Lock()
	}
	p.flushing = false
	if len(p.q) > 0 && !p.closed {
		p.armLocked()
	}
	p.mu.Unlock()
}

// ReadFrom returns the next datagram that survives the down direction,
// when the model says it arrives.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	if p.dup != nil {
		n := copy(b, p.dup)
		from, at := p.dupFrom, p.dupAt
		p.dup = nil
		if err := p.waitUntil(at); err != nil {
			return 0, nil, err
		}
		return n, from, nil
	}
	for {
		n, from, err := p.raw.ReadFrom(b)
		if err != nil {
			return n, from, err
		}
		now := p.l.clk.Now()
		var out [2]Packet
		p.l.mu.Lock()
		k, _ := p.l.down.datagram(now, n, &out)
		p.l.mu.Unlock()
		if k == 0 {
			continue
		}
		if k == 2 {
			p.dup = append([]byte(nil), b[:n]...)
			p.dupFrom, p.dupAt = from, out[1].At
		}
		if out[0].Corrupt {
			flipBit(b[:n], out[0].CorruptBit)
		}
		if err := p.waitUntil(out[0].At); err != nil {
			return 0, nil, err
		}
		return n, from, nil
	}
}

// Read reads from a connected socket.
func (p *PacketConn) Read(b []byte) (int, error) {
	n, _, err := p.ReadFrom(b)
	return n, err
}

func (p *PacketConn) waitUntil(at time.Time) error {
	d := at.Sub(p.l.clk.Now())
	if d <= 0 {
		return nil
	}
	t := p.l.clk.NewTimer(d)
	select {
	case <-t.C():
		return nil
	case <-p.done:
		t.Stop()
		return &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}
	}
}

// Close closes the socket; datagrams still in flight are lost.
func (p *PacketConn) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return &net.OpError{Op: "close", Net: "udp", Err: net.ErrClosed}
	}
	p.closed = true
	p.q = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	close(p.done)
	p.mu.Unlock()
	p.l.untrack(p)
	return p.raw.Close()
}

func (p *PacketConn) abort() { p.Close() }

// Pending is the number of datagrams in flight on the up direction.
func (p *PacketConn) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.q)
}

// LocalAddr is the real socket's address.
func (p *PacketConn) LocalAddr() net.Addr { return p.raw.LocalAddr() }

// RemoteAddr is the peer of a connected socket, else nil.
func (p *PacketConn) RemoteAddr() net.Addr {
	if p.conn != nil {
		return p.conn.RemoteAddr()
	}
	return nil
}

// SetDeadline, SetReadDeadline and SetWriteDeadline apply to the real
// socket (writes never block).
func (p *PacketConn) SetDeadline(t time.Time) error      { return p.raw.SetDeadline(t) }
func (p *PacketConn) SetReadDeadline(t time.Time) error  { return p.raw.SetReadDeadline(t) }
func (p *PacketConn) SetWriteDeadline(t time.Time) error { return p.raw.SetWriteDeadline(t) }
