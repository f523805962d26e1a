package network

// DirStats counts what one direction of a link decided.
type DirStats struct {
	Packets         int64 // datagrams and TCP segments that entered
	Bytes           int64 // their payload bytes
	Lost            int64 // datagrams lost by the loss model
	QueueDrops      int64 // datagrams tail-dropped at the queue
	OutageDrops     int64 // datagrams sent into an outage
	Duplicated      int64
	Corrupted       int64
	Reordered       int64
	FastRetransmits int64 // TCP segment losses repaired in about one RTT
	Timeouts        int64 // TCP retransmission timeouts (each doubling counts)
}

// Stats counts what a link decided. The device turns the ones a report
// needs into observations (see the package comment).
type Stats struct {
	Up, Down     DirStats
	Dials        int64 // dial attempts
	DNSFailures  int64 // dials failed at name resolution
	Refused      int64 // dials refused
	DialTimeouts int64 // dials that met an outage longer than the timeout
	Resets       int64 // connections reset spontaneously (Connect.Resets)
	StallResets  int64 // connections reset by a retransmission stall
}
