package network

import "sync"

// Segment queue arrays, pooled: a connection's queue goes back to its
// inline array when it drains after an idle spell, so a camera that
// uploads a slice every few seconds would otherwise make a new array
// (a send buffer's worth of segments, about 2 KiB) for every burst. Like
// the buffer pool this is process-wide memory recycling, not link state.
var segPool sync.Pool // *[]seg, cleared, length 0

// maxPooledSegs bounds what the pool keeps (a 1 MiB send buffer's worth).
const maxPooledSegs = 1024

// getSegs returns an empty segment array with room for at least n.
func getSegs(n int) []seg {
	if v, ok := segPool.Get().(*[]seg); ok {
		if cap(*v) >= n {
			return (*v)[:0]
		}
	}
	return make([]seg, 0, n)
}

// putSegs gives s back; s must not be used afterwards. Its entries are
// cleared so that the pool pins no buffers.
func putSegs(s []seg) {
	if cap(s) > maxPooledSegs {
		return
	}
	s = s[:cap(s)]
	clear(s)
	s = s[:0]
	segPool.Put(&s)
}
