package network

import (
	"context"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// DefaultConnectTimeout bounds a dial when Connect.Timeout is 0.
const DefaultConnectTimeout = 20 * time.Second

// synRetry is the first SYN retransmission interval (RFC 6298 initial RTO).
const synRetry = time.Second

// ReasonTimeout: the handshake was lost until the dial timeout.
const ReasonTimeout = "connect_timeout"

// Dial connects through the link: name resolution (its delay and failure
// rate), a handshake that crosses both directions (SYN up, SYN-ACK down;
// lost or met by an outage it is retried after 1 s, 2 s, 4 s … until
// Connect.Timeout), refusals, then the real dial. "tcp" networks give a
// *Conn, "udp" ones a *PacketConn (no handshake). Its signature fits
// net.Dialer.DialContext, http.Transport.DialContext and RTMP clients.
func (l *Link) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	now := l.clk.Now()
	l.mu.Lock()
	l.stats.Dials++
	cfg := l.profile.Connect
	dnsFail := cfg.DNSFailure > 0 && l.connR.Float64() < float64(cfg.DNSFailure)
	refuse := cfg.Refuse > 0 && l.connR.Float64() < float64(cfg.Refuse)
	l.mu.Unlock()
	fail := func(reason string, err error) (net.Conn, error) {
		return nil, &Error{Op: "dial", Addr: address, Reason: reason, Err: err}
	}

	if d := cfg.DNSDelay.D(); d > 0 {
		if err := clock.Sleep(ctx, l.clk, d); err != nil {
			return nil, err
		}
	}
	if dnsFail {
		l.count(func(s *Stats) { s.DNSFailures++ })
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			host = address
		}
		return fail(ReasonDNS, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true})
	}

	if strings.HasPrefix(network, "tcp") {
		timeout := cfg.Timeout.D()
		if timeout == 0 {
			timeout = DefaultConnectTimeout
		}
		t0 := l.clk.Now()
		if t0.Before(now) {
			t0 = now
		}
		wait := synRetry
		for at := t0; ; {
			l.mu.Lock()
			ok, down, done := l.handshake(at)
			l.mu.Unlock()
			if ok {
				if err := clock.Sleep(ctx, l.clk, done.Sub(l.clk.Now())); err != nil {
					return nil, err
				}
				break
			}
			next := at.Add(wait)
			wait *= 2
			if next.Sub(t0) > timeout {
				if err := clock.Sleep(ctx, l.clk, t0.Add(timeout).Sub(l.clk.Now())); err != nil {
					return nil, err
				}
				l.count(func(s *Stats) { s.DialTimeouts++ })
				if down {
					return fail(ReasonOutage, syscall.ETIMEDOUT)
				}
				return fail(ReasonTimeout, syscall.ETIMEDOUT)
			}
			if err := clock.Sleep(ctx, l.clk, next.Sub(l.clk.Now())); err != nil {
				return nil, err
			}
			at = next
		}
		if refuse {
			l.count(func(s *Stats) { s.Refused++ })
			return fail(ReasonRefused, syscall.ECONNREFUSED)
		}
	}

	raw, err := l.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(network, "udp") {
		pc, ok := raw.(net.PacketConn)
		if !ok {
			return raw, nil
		}
		return l.wrapPacket(pc, raw)
	}
	return l.wrapConn(raw)
}

// handshake sends a SYN at t and reports whether the SYN-ACK comes back,
// whether the link was down, and when the handshake completes. l.mu held.
func (l *Link) handshake(t time.Time) (ok, down bool, done time.Time) {
	syn := Packet{Size: 60, At: t}
	l.up.before.Apply(&syn)
	if syn.Drop != "" {
		return false, syn.Drop == DropOutage, time.Time{}
	}
	if l.up.delay != nil {
		l.up.delay.Apply(&syn)
	}
	if l.up.jitter != nil {
		l.up.jitter.Apply(&syn)
	}
	ack := Packet{Size: 60, At: syn.At}
	l.down.before.Apply(&ack)
	if ack.Drop != "" {
		return false, ack.Drop == DropOutage, time.Time{}
	}
	if l.down.delay != nil {
		l.down.delay.Apply(&ack)
	}
	if l.down.jitter != nil {
		l.down.jitter.Apply(&ack)
	}
	return true, false, ack.At
}

// ListenPacket opens a datagram socket whose traffic crosses the link.
func (l *Link) ListenPacket(ctx context.Context, network, address string) (*PacketConn, error) {
	raw, err := l.listen(ctx, network, address)
	if err != nil {
		return nil, err
	}
	pc, err := l.wrapPacket(raw, nil)
	if err != nil {
		return nil, err
	}
	return pc.(*PacketConn), nil
}

func (l *Link) count(f func(*Stats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}
