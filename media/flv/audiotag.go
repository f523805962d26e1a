package flv

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/av"
)

// AudioTag is a parsed audio tag body. Config and Payload are sub-slices of
// the parsed body.
type AudioTag struct {
	Codec       av.Codec
	SoundFormat uint8
	// SoundRate, SoundSize and SoundType are the raw 2/1/1-bit fields.
	SoundRate, SoundSize, SoundType uint8
	Packet                          Packet
	Config                          []byte // AudioSpecificConfig of an AAC sequence header
	Payload                         []byte // raw AAC access unit or G.711 samples
}

// Unmarshal parses an audio tag body into a.
func (a *AudioTag) Unmarshal(body []byte) error {
	*a = AudioTag{}
	if len(body) < 1 {
		return fmt.Errorf("%w: empty audio tag", ErrTruncated)
	}
	if len(body) > MaxTagSize {
		return fmt.Errorf("%w: audio tag of %d bytes", ErrMalformed, len(body))
	}
	b0 := body[0]
	a.SoundFormat = b0 >> 4
	a.SoundRate = (b0 >> 2) & 3
	a.SoundSize = (b0 >> 1) & 1
	a.SoundType = b0 & 1
	a.Packet = PacketFrame
	switch a.SoundFormat {
	case SoundFormatAAC:
		a.Codec = av.AAC
		if len(body) < 2 {
			return fmt.Errorf("%w: AAC packet type", ErrTruncated)
		}
		switch body[1] {
		case AACSequenceHeader:
			a.Packet = PacketSequenceHeader
			a.Config = body[2:]
		case AACRaw:
			a.Payload = body[2:]
		default:
			return fmt.Errorf("%w: AAC packet type %d", ErrMalformed, body[1])
		}
	case SoundFormatPCMA:
		a.Codec = av.PCMA
		a.Payload = body[1:]
	case SoundFormatPCMU:
		a.Codec = av.PCMU
		a.Payload = body[1:]
	default:
		return fmt.Errorf("%w: sound format %d", ErrUnsupported, a.SoundFormat)
	}
	return nil
}
