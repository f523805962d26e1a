package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// Muxer writes one slice's container (TS or fMP4, CS11). Implementations
// append to dst (which the SDK reuses) and must not retain frames. The SDK
// keeps a slice's frames compactly (an av.Packed): At materialises them.
type Muxer interface {
	AppendSlice(dst []byte, frames av.List) ([]byte, error)
}

// Cutter is a Muxer that gives a slice's container as content muxed on
// demand instead of appending it, so that the SDK holds a slice's frames
// only, never its bytes: every reader of the content (an upload attempt, a
// retry, a backfill) muxes the frames again into its own buffer. A slice
// that is dumped (DumpFile) is read once at its cut into a pooled body,
// which the dump and the first upload share.
// CutSlice advances the muxer's state across slices (TS continuity
// counters) as AppendSlice would; the content depends on the frames and
// that state at the cut only, and must not be affected by later cuts. The
// muxer itself must not retain the frames.
type Cutter interface {
	Muxer
	CutSlice(frames av.List) (cloudapi.Content, error)
}

// MuxerFunc adapts a function to a Muxer.
type MuxerFunc func(dst []byte, frames av.List) ([]byte, error)

func (f MuxerFunc) AppendSlice(dst []byte, frames av.List) ([]byte, error) {
	return f(dst, frames)
}

// Muxers picks the muxer of a slice format. Until media/mpegts and
// media/fmp4 provide theirs, DefaultMuxers writes the frame-list container
// (framelist.go) for both formats.
type Muxers map[cloudapi.Format]Muxer

// DefaultMuxers returns the muxers the SDK uses when Deps.Muxers is nil.
func DefaultMuxers() Muxers {
	fl := MuxerFunc(AppendFrameListOf)
	return Muxers{cloudapi.FormatTS: fl, cloudapi.FormatFMP4: fl}
}
