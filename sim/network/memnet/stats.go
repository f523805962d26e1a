package memnet

import "sync/atomic"

// Stats counts what a Network did.
type Stats struct {
	Dials   int64 // connections established
	Refused int64 // dials refused (nobody listening, listener closed)
	// WriteWaits counts Writes that found the buffer towards the peer full
	// and waited for it to read (backpressure).
	WriteWaits int64
}

// counters are a Network's live Stats.
type counters struct {
	dials, refused, writeWaits atomic.Int64
}

// Stats returns the counts so far.
func (n *Network) Stats() Stats {
	return Stats{Dials: n.stats.dials.Load(), Refused: n.stats.refused.Load(), WriteWaits: n.stats.writeWaits.Load()}
}
