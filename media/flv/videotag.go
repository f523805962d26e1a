package flv

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// VideoTag is a parsed video tag body. Config and NALUs are sub-slices of
// the parsed body: valid as long as it is, never copied.
type VideoTag struct {
	Codec     av.Codec
	Enhanced  bool // Enhanced RTMP ex-header
	FrameType uint8
	Key       bool // FrameType is key frame
	Packet    Packet
	// CompositionTime is PTS−DTS.
	CompositionTime time.Duration
	// Config is the decoder configuration record of a sequence header
	// (AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord), or
	// the raw payload of a metadata packet.
	Config []byte
	// NALUs are the length-prefixed NAL units of a coded frame. Unmarshal
	// reuses the slice's capacity.
	NALUs [][]byte
}

// Unmarshal parses a video tag body into v, reusing v.NALUs. It returns an
// error wrapping ErrTruncated, ErrMalformed or ErrUnsupported for bad input.
func (v *VideoTag) Unmarshal(body []byte) error {
	nalus := v.NALUs[:0]
	*v = VideoTag{NALUs: nalus}
	if len(body) < 1 {
		return fmt.Errorf("%w: empty video tag", ErrTruncated)
	}
	if len(body) > MaxTagSize {
		return fmt.Errorf("%w: video tag of %d bytes", ErrMalformed, len(body))
	}
	b0 := body[0]
	if b0&exHeaderBit != 0 {
		return v.unmarshalEnhanced(body)
	}
	v.FrameType = b0 >> 4
	v.Key = v.FrameType == FrameTypeKey
	switch b0 & 0x0F {
	case CodecIDAVC:
		v.Codec = av.H264
	case CodecIDHEVC:
		v.Codec = av.H265
	default:
		return fmt.Errorf("%w: video codec id %d", ErrUnsupported, b0&0x0F)
	}
	if len(body) < 5 {
		return fmt.Errorf("%w: video tag header needs 5 bytes, have %d", ErrTruncated, len(body))
	}
	ct := si24(body[2:5])
	payload := body[5:]
	switch body[1] {
	case legacySequenceHeader:
		v.Packet = PacketSequenceHeader
		v.Config = payload
	case legacyNALU:
		v.Packet = PacketFrame
		v.CompositionTime = time.Duration(ct) * time.Millisecond
		return v.splitNALUs(payload)
	case legacyEndOfSequence:
		v.Packet = PacketSequenceEnd
	default:
		return fmt.Errorf("%w: video packet type %d", ErrMalformed, body[1])
	}
	return nil
}

func (v *VideoTag) unmarshalEnhanced(body []byte) error {
	v.Enhanced = true
	v.FrameType = (body[0] >> 4) & 0x07
	v.Key = v.FrameType == FrameTypeKey
	pt := body[0] & 0x0F
	if len(body) < 5 {
		return fmt.Errorf("%w: enhanced video header needs 5 bytes, have %d", ErrTruncated, len(body))
	}
	var fourCC [4]byte
	copy(fourCC[:], body[1:5])
	switch fourCC {
	case FourCCHVC1:
		v.Codec = av.H265
	case FourCCAVC1:
		v.Codec = av.H264
	default:
		return fmt.Errorf("%w: video FourCC %q", ErrUnsupported, fourCC[:])
	}
	payload := body[5:]
	if v.FrameType == FrameTypeCommand && pt != PacketTypeMetadata {
		v.Packet = PacketCommand
		return nil
	}
	switch pt {
	case PacketTypeSequenceStart:
		v.Packet = PacketSequenceHeader
		v.Config = payload
	case PacketTypeCodedFrames:
		if len(payload) < 3 {
			return fmt.Errorf("%w: CodedFrames without composition time", ErrTruncated)
		}
		v.Packet = PacketFrame
		v.CompositionTime = time.Duration(si24(payload)) * time.Millisecond
		return v.splitNALUs(payload[3:])
	case PacketTypeCodedFramesX:
		v.Packet = PacketFrame
		return v.splitNALUs(payload)
	case PacketTypeSequenceEnd:
		v.Packet = PacketSequenceEnd
	case PacketTypeMetadata:
		v.Packet = PacketMetadata
		v.Config = payload
	default:
		return fmt.Errorf("%w: enhanced video packet type %d", ErrUnsupported, pt)
	}
	return nil
}

// splitNALUs splits 4-byte length-prefixed NAL units into v.NALUs.
func (v *VideoTag) splitNALUs(p []byte) error {
	for len(p) > 0 {
		if len(p) < 4 {
			return fmt.Errorf("%w: NAL unit length prefix", ErrTruncated)
		}
		n := u32(p)
		p = p[4:]
		if n == 0 {
			return fmt.Errorf("%w: empty NAL unit", ErrMalformed)
		}
		if uint64(n) > uint64(len(p)) {
			return fmt.Errorf("%w: NAL unit of %d bytes, %d left", ErrTruncated, n, len(p))
		}
		if len(v.NALUs) == MaxNALUs {
			return fmt.Errorf("%w: more than %d NAL units", ErrMalformed, MaxNALUs)
		}
		v.NALUs = append(v.NALUs, p[:n:n])
		p = p[n:]
	}
	return nil
}
