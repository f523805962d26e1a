package cstorage

import (
	"io"
	"sync"

	"github.com/fleetsim/fleetsim/sim/units"
)

// maxPooledBody: larger buffers are left to the garbage collector.
const maxPooledBody = 8 * units.MiB

// BodyPool lends slice-body buffers (for muxers that are not Cutters, and
// for DumpFile chunks). A device holds a body only while its slice is
// being uploaded or dumped, so one pool shared by a fleet needs
// about as many buffers as there are uploads in progress, not one per
// device. Safe for concurrent use.
type BodyPool struct{ p sync.Pool }

// NewBodyPool returns an empty pool.
func NewBodyPool() *BodyPool { return &BodyPool{} }

func (bp *BodyPool) get() []byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

func (bp *BodyPool) put(b []byte) {
	if cap(b) == 0 || units.ByteSize(cap(b)) > maxPooledBody {
		return
	}
	b = b[:0]
	bp.p.Put(&b)
}

// cutBody makes sl's container at its cut and sets sl.total: a Cutter's
// content, muxed on demand whenever it is read, or else a muxed body in a
// pooled buffer, referenced once; s.mu held.
func (s *SDK) cutBody(sl *slice) error {
	m := s.muxers[s.chans[sl.ch].cfg.Format]
	if m == nil {
		return errNoMuxer
	}
	if cm, ok := m.(Cutter); ok {
		c, err := cm.CutSlice(sl.frames)
		if err != nil {
			return err
		}
		if s.packs != nil {
			// its readers hold the frames (retire)
			sl.lease = newLease(sl.frames)
			c = &leasedContent{c: c, l: sl.lease}
		}
		sl.content, sl.total = c, int(c.Size())
		if s.cb.DumpFile != nil {
			// the dump and the first upload share one mux (dumpBody)
			return s.readContent(sl)
		}
		return nil
	}
	return s.muxBody(sl)
}

// readContent muxes sl's content once into a pooled body, referenced once
// (the upload's reference): a slice that is dumped is exported and uploaded
// from the same bytes, as a camera uploads the file it wrote, instead of
// being muxed once for the dump and again for the upload. Retries made
// while the upload holds the body send it too; a backfill after it was
// released streams the content again (the same bytes). s.mu held.
func (s *SDK) readContent(sl *slice) error {
	dst := s.bodies.get()
	if cap(dst) < sl.total {
		s.bodies.put(dst)
		dst = make([]byte, sl.total)
	}
	dst = dst[:sl.total]
	r := sl.content.Open()
	_, err := io.ReadFull(r, dst)
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
	if err != nil {
		s.bodies.put(dst)
		return err
	}
	sl.body, sl.bodyRefs = dst, 1
	return nil
}

// holdBody makes sure sl's container is there for one more holder (an
// upload, a backfill, a dump): the body it holds, shared; content, which
// has nothing to hold; or else its body muxed again when its pooled body
// was released. s.mu held.
func (s *SDK) holdBody(sl *slice) error {
	if sl.content != nil && sl.body == nil {
		return nil
	}
	return s.muxBody(sl)
}

// releaseBody drops one reference to sl's body (the upload's or the dump's)
// and returns it to the pool after the last; s.mu held.
func (s *SDK) releaseBody(sl *slice) {
	if sl.body == nil {
		return
	}
	sl.bodyRefs--
	if sl.bodyRefs > 0 {
		return
	}
	s.bodies.put(sl.body)
	sl.body, sl.bodyRefs = nil, 0
}

// muxBody builds sl's body into a pooled buffer, or shares the one it
// has (a dump may still hold it), taking one reference; s.mu held.
func (s *SDK) muxBody(sl *slice) error {
	if sl.body != nil {
		sl.bodyRefs++
		return nil
	}
	m := s.muxers[s.chans[sl.ch].cfg.Format]
	if m == nil {
		return errNoMuxer
	}
	dst := s.bodies.get()
	// TS adds ~2 % packet headers plus PES/PAT/PMT and adaptation fields;
	// reserve enough that the muxer never grows (and copies) the body
	var media int
	for i := range sl.frames.Len() {
		media += sl.frames.Size(i) + 64
	}
	if hint := media + media/16 + 4096; cap(dst) < hint {
		s.bodies.put(dst)
		dst = make([]byte, 0, hint)
	}
	b, err := m.AppendSlice(dst, sl.frames)
	if err != nil {
		s.bodies.put(dst)
		return err
	}
	sl.body, sl.total, sl.bodyRefs = b, len(b), 1
	return nil
}
