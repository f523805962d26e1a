// Package network gives every virtual camera its own impaired link to the
// cloud: delay and jitter, loss (Bernoulli, Gilbert-Elliott, 4-state
// Markov), duplication, reordering and corruption of datagrams, bandwidth
// (token bucket or a Mahimahi trace) with a tail-drop queue, outages and
// connection faults, and a TCP model that turns loss into retransmission
// delay with head-of-line blocking.
//
// A Link belongs to one device and holds both directions (up: device →
// cloud, down: cloud → device). Its Dial wraps the real net.Conn a dial
// function returns; its ListenPacket wraps a net.PacketConn. Every decision
// is made on the link's clock.Clock from random streams seeded by (run seed,
// device id, direction, stage), so a run replays exactly on the same seed
// and devices are independent.
//
// The userland backend runs no goroutine per link or per write: a write
// decides at once when each segment or datagram reaches the far end, queues
// it, and one clock timer per connection writes what has fallen due to the
// real socket. Reads compute the arrival time of what the real socket
// returned and wait for it on the clock. Written bytes are copied once,
// into pooled buffers the queue holds (Conn.ReadFrom reads a body straight
// into them); a real socket that takes buffers over (memnet's
// WriteHandoff) is handed them at the flush instead of copying them again,
// and gives each back to the pool once its peer has read it.
//
// Observations: the link emits none itself, so nothing is counted twice.
// Dial and I/O failures it decides are *Error values whose Reason is a
// stable token (ReasonDNS, ReasonRefused, ReasonOutage, ReasonReset,
// ReasonStall) for the device to report as observe.ConnFailed or
// observe.FrameLost; everything else it decides (losses, retransmissions,
// drops by reason) is counted in Link.Stats.
package network
