package cstorage

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// A slice's frames (an av.Packed) are most of what a recording fleet
// allocates; with a fleet's av.PackedPool their blocks are recycled once
// the slice has its fate. A Cutter's content reads the frames whenever a
// reader of it is read — on the upload's goroutine, possibly after the
// fate (a transport closes a request body when it is done with it, not
// before the call returns) — so the frames go back to the pool when the
// slice's own reference is dropped at its fate and the last reader opened
// from its content is closed, whichever is later. A reader that is never
// closed keeps them from the pool: the collector takes them as before.

// errSliceReleased is the error of a reader opened after the slice's
// frames were released (nothing opens one: the content is the slice's,
// and the slice has had its fate).
var errSliceReleased = errors.New("cstorage: slice content read after the slice's fate")

// frameLease counts the holders of a slice's frames: the slice itself
// until its fate, and every open reader of its content.
type frameLease struct {
	refs   atomic.Int64
	frames *av.Packed
}

// newLease returns the lease of frames, held once (by the slice).
func newLease(frames *av.Packed) *frameLease {
	l := &frameLease{frames: frames}
	l.refs.Store(1)
	return l
}

// acquire takes a reference unless the frames were released.
func (l *frameLease) acquire() bool {
	for {
		n := l.refs.Load()
		if n <= 0 {
			return false
		}
		if l.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// drop gives a reference back; the last one releases the frames.
func (l *frameLease) drop() {
	if l.refs.Add(-1) == 0 {
		l.frames.Release()
		l.frames = nil
	}
}

// leasedContent is a Cutter's content whose readers hold the slice's frames.
type leasedContent struct {
	c cloudapi.Content
	l *frameLease
}

func (c *leasedContent) Size() int64 { return c.c.Size() }

// Open returns a reader that holds the frames until it is closed (an
// io.ReadCloser: callers close what they open).
func (c *leasedContent) Open() io.Reader {
	if !c.l.acquire() {
		return failedReader{errSliceReleased}
	}
	return &leasedReader{r: c.c.Open(), l: c.l}
}

// leasedReader reads a leased content. Close may come from another
// goroutine than Read (net/http closes a request body where it gives up on
// the request): it waits for a Read under way, and a Read after it fails,
// so the frames are never read once given back.
type leasedReader struct {
	mu sync.Mutex
	r  io.Reader
	l  *frameLease // nil once closed
}

func (r *leasedReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.l == nil {
		return 0, errReaderClosed
	}
	return r.r.Read(p)
}

// Close implements io.Closer; a second Close does nothing.
func (r *leasedReader) Close() error {
	r.mu.Lock()
	l := r.l
	r.l, r.r = nil, nil
	r.mu.Unlock()
	if l != nil {
		l.drop()
	}
	return nil
}

var errReaderClosed = errors.New("cstorage: read of a closed slice reader")

type failedReader struct{ err error }

func (f failedReader) Read([]byte) (int, error) { return 0, f.err }

// retire forgets sl's frames at its fate: they go back to the pool now,
// or, when its content has open readers, when the last one is closed.
// s.mu held.
func (s *SDK) retire(sl *slice) {
	switch {
	case sl.lease != nil:
		sl.lease.drop()
		sl.lease = nil
	case sl.frames != nil:
		sl.frames.Release() // nothing but the slice read them
	}
	sl.frames = nil
}
