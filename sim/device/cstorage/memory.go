package cstorage

import (
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/units"
)

// SDK-internal data per channel, from the documents' memory formula (CS18).
const (
	kB            = 1000 * units.Byte
	internalData  = 100 * kB
	pcmMonoBuffer = 120 * kB
	pcmStereoBuf  = 160 * kB
)

// ChannelMemory is what the real SDK would hold for one channel: MaxGopSize
// + 100 KB with AAC input, plus 120 KB (mono) or 160 KB (stereo) for any other
// audio format (CS18). The simulator accounts this figure; it never allocates
// it per device.
func ChannelMemory(c ChannelConfig) units.ByteSize {
	m := c.MaxGopSize + internalData
	if c.Audio != av.AAC && c.Audio != av.CodecUnknown {
		if c.Stereo {
			m += pcmStereoBuf
		} else {
			m += pcmMonoBuffer
		}
	}
	return m
}

// AccountedMemory is the sum of ChannelMemory over the configured channels:
// the real SDK's footprint that reports charge to the device.
func AccountedMemory(c Config) units.ByteSize {
	var m units.ByteSize
	for _, ch := range c.Channels {
		m += ChannelMemory(ch)
	}
	return m
}
