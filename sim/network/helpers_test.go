package network

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// newTestLink makes a link on a Fake clock with exact flush times.
func newTestLink(t testing.TB, p Profile, device string) (*Link, *clock.Fake) {
	t.Helper()
	fk := clock.NewFake(clock.Epoch())
	l, err := New(Options{Clock: fk, Seed: 42, Device: device, Profile: p, Quantum: -1})
	if err != nil {
		t.Fatal(err)
	}
	return l, fk
}

// arrival is one write that reached a recording socket.
type arrival struct {
	at time.Time
	n  int
	b  []byte
}

// recConn is a net.Conn and net.PacketConn that records what the link
// writes to it, stamped with the clock, and never blocks.
type recConn struct {
	clk    clock.Clock
	mu     sync.Mutex
	got    []arrival
	closed bool
	keep   bool // keep the bytes
}

func (r *recConn) record(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := arrival{at: r.clk.Now(), n: len(b)}
	if r.keep {
		a.b = append([]byte(nil), b...)
	}
	r.got = append(r.got, a)
}

func (r *recConn) arrivals() []arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]arrival(nil), r.got...)
}

func (r *recConn) bytes() int {
	n := 0
	for _, a := range r.arrivals() {
		n += a.n
	}
	return n
}

func (r *recConn) Write(b []byte) (int, error)               { r.record(b); return len(b), nil }
func (r *recConn) WriteTo(b []byte, _ net.Addr) (int, error) { r.record(b); return len(b), nil }
func (r *recConn) Read([]byte) (int, error)                  { select {} }
func (r *recConn) ReadFrom([]byte) (int, net.Addr, error)    { select {} }
func (r *recConn) Close() error                              { r.mu.Lock(); r.closed = true; r.mu.Unlock(); return nil }
func (r *recConn) LocalAddr() net.Addr                       { return &net.TCPAddr{} }
func (r *recConn) RemoteAddr() net.Addr                      { return &net.TCPAddr{} }
func (r *recConn) SetDeadline(time.Time) error               { return nil }
func (r *recConn) SetReadDeadline(time.Time) error           { return nil }
func (r *recConn) SetWriteDeadline(time.Time) error          { return nil }

// dialRec wraps a recording socket as a TCP connection of l, without the
// handshake (so tests can start at a known time).
func dialRec(t testing.TB, l *Link, fk *clock.Fake) (*Conn, *recConn) {
	t.Helper()
	rc := &recConn{clk: fk}
	c, err := l.wrapConn(rc)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Conn), rc
}

// drain fires every timer of fk (a run to completion on virtual time).
func drain(fk *clock.Fake) {
	for fk.Step() {
	}
}

// until steps fk until done is closed, yielding to other goroutines while
// no timer is armed.
func until(t testing.TB, fk *clock.Fake, done <-chan struct{}) {
	t.Helper()
	for spins := 0; ; {
		select {
		case <-done:
			return
		default:
		}
		if fk.Step() {
			spins = 0
			continue
		}
		runtime.Gosched()
		if spins++; spins > 1e7 {
			t.Fatal("nothing to do and not done")
		}
	}
}

func newFakeAtEpoch() *clock.Fake { return clock.NewFake(clock.Epoch()) }

func clockEpoch() time.Time { return clock.Epoch() }
