package network

// QueueLimit tail-drops a datagram when the bytes waiting at the capacity
// stage behind it, plus the datagram itself, would exceed Limit.
type QueueLimit struct {
	Limit int
	cap   Capacity
}

// NewQueueLimit returns a tail-drop stage in front of c.
func NewQueueLimit(limit int, c Capacity) *QueueLimit { return &QueueLimit{Limit: limit, cap: c} }

// Apply drops p if it does not fit.
func (s *QueueLimit) Apply(p *Packet) {
	if p.Drop == "" && s.cap.Backlog(p.At)+p.Size > s.Limit {
		p.Drop = DropQueue
	}
}
