package loadgen

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Quickstart is the quickstart camera's media: 640x360 15 fps 512 kbit/s
// H.264 (GOP 30) and 32 kbit/s AAC-LC at 16 kHz mono.
func Quickstart() source.Profile {
	p := source.Profile{
		Video: source.VideoConfig{Codec: av.H264, Width: 640, Height: 360, FPS: 15, GOP: 30, Bitrate: 512 * units.Kbps},
		Audio: source.AudioConfig{Codec: av.AAC, SampleRate: 16000, Channels: 1, Bitrate: 32 * units.Kbps},
	}
	p.Defaults()
	return p
}
