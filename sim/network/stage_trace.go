package network

import "time"

// TraceCapacity delivers bytes only at a trace's delivery opportunities,
// 1500 bytes each; the trace starts at Start and wraps. A packet may span
// opportunities, and capacity unused when nothing waits is lost, as in
// Mahimahi's link emulation.
type TraceCapacity struct {
	tr       *Trace
	start    time.Time
	overhead int
	next     int64 // the first opportunity with capacity left
	left     int   // bytes left in opportunity next
}

// NewTraceCapacity returns a capacity stage driven by tr from start.
func NewTraceCapacity(tr *Trace, start time.Time, overhead int) *TraceCapacity {
	return &TraceCapacity{tr: tr, start: start, overhead: overhead, left: OpportunitySize}
}

func (s *TraceCapacity) firstAt(t time.Time) int64 {
	d := t.Sub(s.start)
	if d < 0 {
		d = 0
	}
	return s.tr.first(d)
}

// Apply moves p to the opportunity that carries its last byte.
func (s *TraceCapacity) Apply(p *Packet) {
	if p.Drop != "" {
		return
	}
	if j := s.firstAt(p.At); s.next < j {
		s.next, s.left = j, OpportunitySize
	}
	need := p.Size + s.overhead
	for need > s.left {
		need -= s.left
		s.next++
		s.left = OpportunitySize
	}
	s.left -= need
	p.At = s.start.Add(s.tr.at(s.next))
	if s.left == 0 {
		s.next++
		s.left = OpportunitySize
	}
}

// Backlog is the capacity already promised to queued bytes at t.
func (s *TraceCapacity) Backlog(t time.Time) int {
	j := s.firstAt(t)
	if s.next < j {
		return 0
	}
	return int(s.next-j)*OpportunitySize + OpportunitySize - s.left
}
