package network

import (
	"context"
	"errors"
	"math"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/units"
)

// dialLink makes a link whose real dials return recording sockets.
func dialLink(t *testing.T, p Profile) (*Link, *clock.Fake) {
	t.Helper()
	fk := clock.NewFake(clock.Epoch())
	l, err := New(Options{Clock: fk, Seed: 3, Device: "cam-dial", Profile: p, Quantum: -1,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return &recConn{clk: fk}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return l, fk
}

// dialOnce dials on virtual time and returns the result and how long it took.
func dialOnce(t *testing.T, l *Link, fk *clock.Fake) (net.Conn, error, time.Duration) {
	t.Helper()
	start := fk.Now()
	done := make(chan struct{})
	var c net.Conn
	var err error
	go func() {
		c, err = l.Dial(context.Background(), "tcp", "cloud.example:1935")
		close(done)
	}()
	until(t, fk, done)
	return c, err, fk.Now().Sub(start)
}

func TestDial(t *testing.T) {
	rtt := Profile{Up: Direction{Delay: units.Duration(ms(30))}, Down: Direction{Delay: units.Duration(ms(20))}}
	t.Run("handshake takes one round trip", func(t *testing.T) {
		p := rtt
		p.Connect.DNSDelay = units.Duration(ms(15))
		l, fk := dialLink(t, p)
		c, err, took := dialOnce(t, l, fk)
		if err != nil || took != ms(65) {
			t.Fatalf("dial = %v after %v, want a connection after 65ms", err, took)
		}
		if _, ok := c.(*Conn); !ok {
			t.Fatalf("dial returned %T", c)
		}
		c.Close()
	})
	t.Run("dns failure", func(t *testing.T) {
		p := rtt
		p.Connect.DNSFailure = 1
		l, fk := dialLink(t, p)
		_, err, _ := dialOnce(t, l, fk)
		var dns *net.DNSError
		if !errors.As(err, &dns) || !dns.IsNotFound || dns.Name != "cloud.example" || ReasonOf(err) != ReasonDNS {
			t.Fatalf("dial = %v, want a DNS not-found error with reason %s", err, ReasonDNS)
		}
	})
	t.Run("refused", func(t *testing.T) {
		p := rtt
		p.Connect.Refuse = 1
		l, fk := dialLink(t, p)
		_, err, took := dialOnce(t, l, fk)
		if !errors.Is(err, syscall.ECONNREFUSED) || ReasonOf(err) != ReasonRefused || took != ms(50) {
			t.Fatalf("dial = %v after %v, want refused after one RTT", err, took)
		}
	})
	t.Run("outage longer than the timeout", func(t *testing.T) {
		p := rtt
		p.Outages.Scheduled = []Window{{At: 0, For: units.Duration(2 * time.Minute)}}
		p.Connect.Timeout = units.Duration(20 * time.Second)
		l, fk := dialLink(t, p)
		_, err, took := dialOnce(t, l, fk)
		var ne net.Error
		if !errors.Is(err, syscall.ETIMEDOUT) || ReasonOf(err) != ReasonOutage || !errors.As(err, &ne) || !ne.Timeout() || took != 20*time.Second {
			t.Fatalf("dial = %v after %v, want a %s timeout after 20s", err, took, ReasonOutage)
		}
	})
	t.Run("outage that ends: SYN retried at 1 s, 2 s", func(t *testing.T) {
		p := rtt
		p.Outages.Scheduled = []Window{{At: 0, For: units.Duration(2500 * time.Millisecond)}}
		l, fk := dialLink(t, p)
		c, err, took := dialOnce(t, l, fk)
		if err != nil || took != 3*time.Second+ms(50) {
			t.Fatalf("dial = %v after %v, want success at 3.05s", err, took)
		}
		c.Close()
	})
	t.Run("dns failure rate", func(t *testing.T) {
		p := Profile{Connect: Connect{DNSFailure: 0.3}}
		l, fk := dialLink(t, p)
		const n = 2000
		for i := 0; i < n; i++ {
			c, _, _ := dialOnce(t, l, fk)
			if c != nil {
				c.Close()
			}
		}
		s := l.Stats()
		// σ = √(0.21/2000) ≈ 0.010; ±0.04 is four σ.
		if r := float64(s.DNSFailures) / n; math.Abs(r-0.3) > 0.04 || s.Dials != n {
			t.Fatalf("DNS failures %d of %d dials, want 30%% ±4%%", s.DNSFailures, s.Dials)
		}
	})
}

func TestLinkCloseEndsConnections(t *testing.T) {
	l, fk := dialLink(t, Profile{Up: Direction{Delay: units.Duration(time.Second)}})
	c, err, _ := dialOnce(t, l, fk)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("pending"))
	l.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Link.Close = %v", err)
	}
	if fk.Pending() != 0 {
		t.Fatalf("%d timers left after Close", fk.Pending())
	}
	if _, err := l.Dial(context.Background(), "udp", "127.0.0.1:9"); err == nil {
		t.Fatal("dial on a closed link succeeded")
	}
}
