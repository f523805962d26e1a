package cloud

import "github.com/fleetsim/fleetsim/sim/observe"

// HasFate reports whether the RTMP ingest has given the frame its fate
// (delivered or rejected), on any connection. Devices whose connection
// died ask it, after a grace period, to decide which frames they wrote
// are lost (sim/device/push Receipts): the ingest remembers the last 1024
// frame numbers of each device stream, and older frames count as decided.
func (c *Cloud) HasFate(device, channel int, stream observe.Stream, seq uint64) bool {
	if c.ingest == nil {
		return false
	}
	in := c.ingest
	in.fmu.Lock()
	defer in.fmu.Unlock()
	w := in.fates[fateKey{device, channel, stream}]
	return w != nil && w.has(seq)
}

// has tells whether seq was recorded (or is too old to tell).
func (w *seqWindow) has(seq uint64) bool {
	const n = 1024
	switch {
	case !w.set || seq > w.high:
		return false
	case w.high-seq >= n:
		return true
	}
	return w.bits[seq%n/64]&(1<<(seq%64)) != 0
}
