package cloud

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/units"
)

// gate is the cloud's front door: it wraps every listener so that faults can
// refuse or cap connections, throttle what they receive, and drop them all.
type gate struct {
	clk    clock.Clock
	faults *faults
	bucket *bucket

	mu    sync.Mutex
	conns map[*gateConn]struct{}

	accepted, refused atomic.Int64
}

func newGate(clk clock.Clock, f *faults) *gate {
	return &gate{clk: clk, faults: f, bucket: &bucket{clk: clk}, conns: make(map[*gateConn]struct{})}
}

func (g *gate) open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// dropAll closes every open connection and returns how many.
func (g *gate) dropAll() int {
	g.mu.Lock()
	list := make([]*gateConn, 0, len(g.conns))
	for c := range g.conns {
		list = append(list, c)
	}
	g.mu.Unlock()
	for _, c := range list {
		c.Close()
	}
	return len(list)
}

func (g *gate) remove(c *gateConn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
}

type gateListener struct {
	net.Listener
	g *gate
}

func (g *gate) wrap(l net.Listener) net.Listener { return &gateListener{Listener: l, g: g} }

func (l *gateListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.g.mu.Lock()
		ok, _ := l.g.faults.admit(len(l.g.conns))
		var gc *gateConn
		if ok {
			gc = &gateConn{Conn: c, g: l.g}
			l.g.conns[gc] = struct{}{}
		}
		l.g.mu.Unlock()
		if !ok {
			l.g.refused.Add(1)
			c.Close()
			continue
		}
		l.g.accepted.Add(1)
		return gc, nil
	}
}

// gateConn counts and throttles what a connection receives.
type gateConn struct {
	net.Conn
	g      *gate
	once   sync.Once
	closed chan struct{}
	cmu    sync.Mutex
}

func (c *gateConn) done() <-chan struct{} {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if c.closed == nil {
		c.closed = make(chan struct{})
	}
	return c.closed
}

func (c *gateConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if bw := c.g.faults.bandwidth(); bw > 0 {
			if werr := c.g.bucket.take(c.done(), bw, n); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return n, err
}

// SetReadLowWater passes a read low-water mark (memnet.Conn's) to the
// connection underneath, when it has one.
func (c *gateConn) SetReadLowWater(n int) {
	if lw, ok := c.Conn.(lowWaterer); ok {
		lw.SetReadLowWater(n)
	}
}

func (c *gateConn) Close() error {
	c.once.Do(func() {
		c.g.remove(c)
		c.cmu.Lock()
		if c.closed == nil {
			c.closed = make(chan struct{})
		}
		close(c.closed)
		c.cmu.Unlock()
	})
	return c.Conn.Close()
}

// bucket is a token bucket shared by all connections, on the cloud's clock.
// Reads that exceed the rate wait until the bucket has refilled.
type bucket struct {
	clk    clock.Clock
	mu     sync.Mutex
	tokens float64 // bytes available (negative: debt)
	last   time.Time
}

var errConnClosed = errors.New("cloud: connection closed")

// take accounts n received bytes at rate bw and waits off any debt.
func (b *bucket) take(done <-chan struct{}, bw units.Bitrate, n int) error {
	rate := bw.BytesPerSecond()
	burst := rate / 10 // 100 ms of traffic
	if burst < 64<<10 {
		burst = 64 << 10
	}
	b.mu.Lock()
	now := b.clk.Now()
	if b.last.IsZero() {
		b.tokens = burst // a cap starts with a full burst
	} else {
		b.tokens += now.Sub(b.last).Seconds() * rate
	}
	if b.tokens > burst {
		b.tokens = burst
	}
	b.last = now
	b.tokens -= float64(n)
	debt := -b.tokens
	b.mu.Unlock()
	if debt <= 0 {
		return nil
	}
	wait := time.Duration(debt / rate * float64(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := clock.Sleep(ctx, b.clk, wait); err != nil {
		return errConnClosed
	}
	return nil
}
