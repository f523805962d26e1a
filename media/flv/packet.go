package flv

import "fmt"

// Packet is what a parsed video or audio tag carries.
type Packet uint8

const (
	PacketFrame          Packet = iota // coded media (NAL units or an audio access unit)
	PacketSequenceHeader               // a decoder configuration record / AudioSpecificConfig
	PacketSequenceEnd
	PacketMetadata // Enhanced RTMP metadata (an AMF payload in Config)
	PacketCommand  // Enhanced RTMP command frame; no media
)

func (p Packet) String() string {
	switch p {
	case PacketFrame:
		return "frame"
	case PacketSequenceHeader:
		return "sequence-header"
	case PacketSequenceEnd:
		return "sequence-end"
	case PacketMetadata:
		return "metadata"
	case PacketCommand:
		return "command"
	}
	return fmt.Sprintf("packet(%d)", uint8(p))
}
