package network

import (
	"errors"
	"fmt"
	"syscall"
)

// Reasons of link failures: stable tokens for observe.Observation.Reason.
const (
	ReasonDNS     = "dns_failure"          // name resolution failed
	ReasonRefused = "connection_refused"   // the SYN met a reset
	ReasonOutage  = "link_outage"          // the link was down past the dial timeout
	ReasonReset   = "connection_reset"     // the connection was reset (NAT, roaming)
	ReasonStall   = "retransmission_stall" // a segment could not be delivered in time
)

// Error is a failure the link decided. It unwraps to the error a real
// socket would give (a *net.DNSError, syscall.ECONNREFUSED,
// syscall.ECONNRESET, syscall.ETIMEDOUT), so code that inspects real errors
// works unchanged.
type Error struct {
	Op     string // "dial", "read", "write"
	Addr   string
	Reason string
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("network %s %s: %s: %v", e.Op, e.Addr, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Timeout reports a dial that timed out in an outage (net.Error).
func (e *Error) Timeout() bool { return errors.Is(e.Err, syscall.ETIMEDOUT) }

// Temporary is false: the link never reports a retryable-in-place error.
func (e *Error) Temporary() bool { return false }

// ReasonOf returns the link's reason token for err, or "".
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
