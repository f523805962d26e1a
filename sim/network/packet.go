package network

import "time"

// Packet is what the stages decide about: one datagram or TCP segment on
// its way through one direction of a link.
type Packet struct {
	// Size is the packet's payload size in bytes.
	Size int
	// At is when the packet reaches the next stage; stages only move it later.
	At time.Time
	// Drop, when non-empty, says why the packet is lost (a Drop* token).
	Drop string
	// Dup asks for a second copy of the packet.
	Dup bool
	// Corrupt asks for bit CorruptBit of the payload to be flipped.
	Corrupt    bool
	CorruptBit int
	// Urgent packets skip the delay (netem's reordering).
	Urgent bool
}

// Drop reasons of packets (counted in Stats.Dropped).
const (
	DropLoss   = "loss"
	DropQueue  = "queue_full"
	DropOutage = "outage"
)

// Stage is one impairment. Apply decides about p and may drop, mark or
// delay it; a stage leaves an already dropped packet alone. Stages are not
// safe for concurrent use: the link serialises them.
type Stage interface {
	Apply(p *Packet)
}

// Capacity is a stage that serialises packets at some capacity and can tell
// how many bytes wait in front of a packet arriving at a given time.
type Capacity interface {
	Stage
	// Backlog is the number of bytes queued and not yet sent at t.
	Backlog(t time.Time) int
}

// Pipeline applies stages in order.
type Pipeline []Stage

// Apply runs every stage on p.
func (s Pipeline) Apply(p *Packet) {
	for _, st := range s {
		st.Apply(p)
	}
}
