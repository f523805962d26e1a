package cloud

import (
	"time"
)

// rtpStats is the reception state of one RTP source, per RFC 3550 A.1
// (sequence numbers, loss) and A.8 (interarrival jitter), plus reordering
// and complete-frame accounting (a frame is the packets of one RTP
// timestamp; it is complete when every sequence number from the packet after
// the previous frame's marker up to its own marker arrived).
type rtpStats struct {
	clockRate float64 // RTP timestamp units per second

	started       bool
	baseSeq       uint32 // extended
	maxSeq        uint16
	cycles        uint32
	received      uint64
	reordered     uint64
	duplicates    uint64
	expectedPrior uint64
	receivedPrior uint64
	jitter        float64 // in timestamp units
	lastTransit   float64
	haveTransit   bool
	frames        map[uint32]*rtpFrame
	marked        []*rtpFrame // frames whose marker arrived, by end sequence
	lastEnd       uint64      // extended seq of the last finalised frame's marker
	haveLastEnd   bool
	complete      uint64
	incomplete    uint64
	seen          seqWindow // recent extended seqs, to spot duplicates
}

type rtpFrame struct {
	ts        uint32
	count     int
	minSeq    uint64
	end       uint64 // extended seq of the marker packet
	hasMarker bool
}

// maxPendingFrames bounds the frames waiting to be judged complete.
const maxPendingFrames = 64

func newRTPStats(clockRate float64) *rtpStats {
	return &rtpStats{clockRate: clockRate, frames: make(map[uint32]*rtpFrame)}
}

// extend maps a 16-bit sequence number to the extended sequence space near
// the highest seen.
func (s *rtpStats) extend(seq uint16) uint64 {
	ext := uint64(s.cycles)<<16 | uint64(seq)
	diff := int32(int16(seq - s.maxSeq))
	if diff > 0 && seq < s.maxSeq { // wrapped forward
		ext += 1 << 16
	} else if diff < 0 && seq > s.maxSeq && s.cycles > 0 { // late, before a wrap
		ext -= 1 << 16
	}
	return ext
}

// add accounts one packet arriving at arrival.
func (s *rtpStats) add(seq uint16, ts uint32, marker bool, arrival time.Duration) {
	if !s.started {
		s.started = true
		s.maxSeq = seq
		s.baseSeq = uint32(seq)
	}
	ext := s.extend(seq)
	if !s.seen.mark(ext) { // a duplicate, or older than the window
		s.duplicates++
		return
	}
	s.received++
	highest := uint64(s.cycles)<<16 | uint64(s.maxSeq)
	if ext > highest {
		if seq < s.maxSeq {
			s.cycles++
		}
		s.maxSeq = seq
	} else if s.received > 1 {
		s.reordered++
	}
	// A.8 jitter
	transit := arrival.Seconds()*s.clockRate - float64(ts)
	if s.haveTransit {
		d := transit - s.lastTransit
		if d < 0 {
			d = -d
		}
		s.jitter += (d - s.jitter) / 16
	}
	s.lastTransit, s.haveTransit = transit, true
	// frames
	f := s.frames[ts]
	if f == nil {
		f = &rtpFrame{ts: ts, minSeq: ext}
		s.frames[ts] = f
	}
	f.count++
	if ext < f.minSeq {
		f.minSeq = ext
	}
	if marker && !f.hasMarker {
		f.hasMarker, f.end = true, ext
		i := len(s.marked)
		s.marked = append(s.marked, f)
		for i > 0 && s.marked[i-1].end > f.end { // nearly always in order
			s.marked[i] = s.marked[i-1]
			i--
		}
		s.marked[i] = f
	}
	if marker || len(s.frames) > maxPendingFrames {
		s.judgeFrames(false)
	}
}

// judgeFrames finalises frames that cannot change any more: all but the
// newest marked frame (a late packet of the newest may still come), or,
// with flush, all of them.
func (s *rtpStats) judgeFrames(flush bool) {
	keep := 1
	if flush || len(s.frames) > maxPendingFrames {
		keep = 0
	}
	judged := false
	for len(s.marked) > keep {
		f := s.marked[0]
		s.marked = s.marked[1:]
		// the frame starts after the previous frame's marker; when that
		// marker was lost, which frame the lost packet belonged to cannot
		// be told, and both frames count as incomplete
		start := f.minSeq
		if s.haveLastEnd {
			start = s.lastEnd + 1
		}
		if f.end >= start && uint64(f.count) == f.end-start+1 {
			s.complete++
		} else {
			s.incomplete++
		}
		s.lastEnd, s.haveLastEnd = f.end, true
		delete(s.frames, f.ts)
		judged = true
	}
	if len(s.marked) == 0 {
		s.marked = s.marked[:0:0] // let the backing array go
	}
	if !judged && !flush {
		return
	}
	// frames whose marker never came and that lie before what is judged
	for ts, f := range s.frames {
		if f.hasMarker {
			continue
		}
		if flush || (s.haveLastEnd && f.minSeq <= s.lastEnd) || len(s.frames) > maxPendingFrames {
			s.incomplete++
			delete(s.frames, ts)
		}
	}
}

func (s *rtpStats) highest() uint64 { return uint64(s.cycles)<<16 | uint64(s.maxSeq) }

// expected is the number of packets expected so far (A.3).
func (s *rtpStats) expected() uint64 {
	if !s.started {
		return 0
	}
	return s.highest() - uint64(s.baseSeq) + 1
}

// lost is the cumulative number of packets lost (never negative here:
// duplicates are not counted as received).
func (s *rtpStats) lost() uint64 {
	e := s.expected()
	if e < s.received {
		return 0
	}
	return e - s.received
}

// interval returns the packets expected and received since the last call,
// and the RFC 3550 fraction lost (8-bit fixed point).
func (s *rtpStats) interval() (expected, received uint64, fraction uint8) {
	e := s.expected()
	expected = e - s.expectedPrior
	received = s.received - s.receivedPrior
	s.expectedPrior, s.receivedPrior = e, s.received
	if expected > 0 && received < expected {
		fraction = uint8(((expected - received) << 8) / expected)
	}
	return expected, received, fraction
}

// jitterDuration is the jitter estimate as a duration.
func (s *rtpStats) jitterDuration() time.Duration {
	return time.Duration(s.jitter / s.clockRate * float64(time.Second))
}
