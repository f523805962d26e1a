package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// FrameRef names a frame: (channel, stream, sequence).
type FrameRef struct {
	Channel int
	Stream  observe.Stream
	Seq     uint64
}

// InFlight lists the frames the SDK holds without a fate yet: in the send
// buffer, the pre-record ring, the open slice, the upload queue, the
// uploader and the backfill queue.
func (s *SDK) InFlight() []FrameRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []FrameRef
	s.forEachHeld(func(_ int, fr FrameRef) { out = append(out, fr) })
	return out
}

// forEachHeld visits every held frame; s.mu held.
func (s *SDK) forEachHeld(fn func(ch int, fr FrameRef)) {
	visit := func(ch int) func(*av.Frame) {
		return func(f *av.Frame) { fn(ch, FrameRef{Channel: ch, Stream: streamOf(f), Seq: f.Seq}) }
	}
	slices := func(sls ...*slice) {
		for _, sl := range sls {
			if sl == nil {
				continue
			}
			v := visit(sl.ch)
			for i := range sl.frames.Len() { // nil after the slice's fate
				h := sl.frames.Head(i)
				v(&h)
			}
		}
	}
	for _, c := range s.chans {
		v := visit(c.idx)
		c.ring.each(v)
		slices(c.open)
		slices(c.queue...)
		slices(c.uploading)
		c.buf.each(v)
	}
	slices(s.bf.active)
	slices(s.bf.queue...)
}

// dropRef emits FrameDropped for a held frame at Exit; s.mu held.
func (s *SDK) dropRef(ch int, fr FrameRef, reason string) {
	s.stats.DroppedFrames[reason]++
	s.emit(observe.Observation{Kind: observe.FrameDropped, Channel: ch, Stream: fr.Stream, Seq: fr.Seq, Reason: reason})
}
