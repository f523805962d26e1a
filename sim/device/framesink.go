package device

import (
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/device/source"
)

// frameSink is the sink of a channel's source: Device.frame. It keeps
// nothing of a frame past the call — the cloud-storage SDK and the push
// SDK copy what they keep, live view sends at once — so the source lends
// its frames (source.Lender) and a camera's capture allocates nothing per
// frame.
type frameSink struct {
	d  *Device
	ch int
}

func (s frameSink) Frame(f *av.Frame, lag time.Duration) { s.d.frame(s.ch, f, lag) }

var _ source.Lender = frameSink{}

// LendsFrames implements source.Lender.
func (frameSink) LendsFrames() bool { return true }
