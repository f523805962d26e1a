package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// Muxer writes one slice's container (TS or fMP4, CS11). Implementations
// append to dst (which the SDK reuses) and must not retain frames.
type Muxer interface {
	AppendSlice(dst []byte, frames []*av.Frame) ([]byte, error)
}

// MuxerFunc adapts a function to a Muxer.
type MuxerFunc func(dst []byte, frames []*av.Frame) ([]byte, error)

func (f MuxerFunc) AppendSlice(dst []byte, frames []*av.Frame) ([]byte, error) {
	return f(dst, frames)
}

// Muxers picks the muxer of a slice format. Until media/mpegts and
// media/fmp4 provide theirs, DefaultMuxers writes the frame-list container
// (framelist.go) for both formats.
type Muxers map[cloudapi.Format]Muxer

// DefaultMuxers returns the muxers the SDK uses when Deps.Muxers is nil.
func DefaultMuxers() Muxers {
	fl := MuxerFunc(AppendFrameList)
	return Muxers{cloudapi.FormatTS: fl, cloudapi.FormatFMP4: fl}
}
