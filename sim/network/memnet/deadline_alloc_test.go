package memnet

import (
	"testing"
	"time"
)

// TestDeadlineReuse: a connection keeps its deadline timer and channel,
// so setting and clearing deadlines as net/http does at every request
// allocates nothing after the first; and a deadline moved later still
// fires, at its new time.
func TestDeadlineReuse(t *testing.T) {
	st := stacks(t)[0]
	_, s := st.connPair(t)
	s.SetReadDeadline(time.Now().Add(time.Hour))
	allocs := testing.AllocsPerRun(20, func() {
		s.SetReadDeadline(time.Now().Add(time.Hour))
		s.SetReadDeadline(time.Time{})
		s.SetWriteDeadline(time.Now().Add(time.Hour))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request's deadlines", allocs)
	}
	s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	s.SetReadDeadline(time.Now().Add(60 * time.Millisecond)) // the first timer's firing must not end it
	start := time.Now()
	_, err := s.Read(make([]byte, 8))
	if !isTimeout(err) {
		t.Fatalf("Read: %v, want a timeout", err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatalf("the deadline fired after %v, before the time it was moved to", time.Since(start))
	}
}
