package cstorage

import "time"

// preRecord starts the recording of the first of parallel events with the
// ring's frames from the last IDR at or before streamStart (CS8). The
// frames go straight to the slicer, so the slices they fill are queued at
// once and uploaded back to back: faster than real time when the link
// allows (catch-up).
func (s *SDK) preRecord(c *channel, streamStart time.Time) {
	target := streamStart.UnixNano()
	best := -1
	for i := 0; i < c.ring.len(); i++ {
		f, u := c.ring.peek(i)
		if !startsStream(f) {
			continue
		}
		if u <= target {
			best = i
			continue
		}
		if best < 0 {
			best = i
		}
		break
	}
	if best < 0 {
		s.discardRing(c)
		return
	}
	for i := 0; i < best; i++ {
		f, _ := c.ring.pop()
		s.drop(c.idx, f, ReasonPreRecordOut)
	}
	for c.ring.len() > 0 {
		f, u := c.ring.pop()
		s.sliceAdd(c, f, u)
	}
	c.ring.reset()
	c.needIDR = false
	s.drain(c)
}
