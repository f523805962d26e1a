package flv

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/av"
)

// Legacy FLV video codec ids (the low nibble of the first body byte).
const (
	CodecIDAVC  = 7
	CodecIDHEVC = 12 // not in the Adobe spec; the de-facto Chinese CDN extension
)

// Frame types (the high nibble of the first body byte, 3 bits in Enhanced RTMP).
const (
	FrameTypeKey     = 1
	FrameTypeInter   = 2
	FrameTypeCommand = 5 // Enhanced RTMP: video info/command frame
)

// Legacy AVCPacketType / HVCPacketType.
const (
	legacySequenceHeader = 0
	legacyNALU           = 1
	legacyEndOfSequence  = 2
)

// Enhanced RTMP v1 PacketType (low nibble when IsExHeader is set).
const (
	PacketTypeSequenceStart        = 0
	PacketTypeCodedFrames          = 1
	PacketTypeSequenceEnd          = 2
	PacketTypeCodedFramesX         = 3
	PacketTypeMetadata             = 4
	PacketTypeMPEG2TSSequenceStart = 5
)

const exHeaderBit = 0x80

// FourCCHVC1 is the Enhanced RTMP FourCC of H.265, also the onMetaData
// videocodecid value 1752589105.
var FourCCHVC1 = [4]byte{'h', 'v', 'c', '1'}

// FourCCAVC1 is the Enhanced RTMP FourCC of H.264.
var FourCCAVC1 = [4]byte{'a', 'v', 'c', '1'}

// HEVCMode selects how H.265 video is signalled. H.264 is always written
// as legacy codec id 7, which every peer understands.
type HEVCMode uint8

const (
	// HEVCLegacy is codec id 12 with HVCPacketType and SI24 composition time.
	HEVCLegacy HEVCMode = iota
	// HEVCEnhanced is Enhanced RTMP v1: IsExHeader, FourCC 'hvc1',
	// CodedFrames (with composition time) or CodedFramesX (without).
	HEVCEnhanced
)

func (m HEVCMode) String() string {
	switch m {
	case HEVCLegacy:
		return "legacy"
	case HEVCEnhanced:
		return "enhanced"
	}
	return fmt.Sprintf("hevcmode(%d)", uint8(m))
}

// videoPrefix appends the bytes before the payload: the frame/codec byte,
// the packet type and (where the packet type has one) the composition time.
func videoPrefix(dst []byte, codec av.Codec, mode HEVCMode, frameType byte, packet byte, ct int32) ([]byte, error) {
	switch {
	case codec == av.H264:
		dst = append(dst, frameType<<4|CodecIDAVC, packet)
		return appendU24(dst, uint32(ct)&0xFFFFFF), nil
	case codec == av.H265 && mode == HEVCLegacy:
		dst = append(dst, frameType<<4|CodecIDHEVC, packet)
		return appendU24(dst, uint32(ct)&0xFFFFFF), nil
	case codec == av.H265 && mode == HEVCEnhanced:
		ex := packet
		switch packet {
		case legacySequenceHeader:
			ex = PacketTypeSequenceStart
		case legacyEndOfSequence:
			ex = PacketTypeSequenceEnd
		case legacyNALU:
			ex = PacketTypeCodedFrames
			if ct == 0 {
				ex = PacketTypeCodedFramesX
			}
		}
		dst = append(dst, exHeaderBit|frameType<<4|ex)
		dst = append(dst, FourCCHVC1[:]...)
		if ex == PacketTypeCodedFrames {
			dst = appendU24(dst, uint32(ct)&0xFFFFFF)
		}
		return dst, nil
	case codec == av.H265:
		return dst, fmt.Errorf("%w: HEVC mode %v", ErrUnsupported, mode)
	}
	return dst, fmt.Errorf("%w: video codec %v", ErrUnsupported, codec)
}

// AppendVideoSequenceHeader appends the body of a sequence-header video tag
// carrying record: an AVCDecoderConfigurationRecord for H.264, an
// HEVCDecoderConfigurationRecord for H.265 (legacy HVCPacketType 0 or
// Enhanced SequenceStart). On error dst is returned unchanged.
func AppendVideoSequenceHeader(dst []byte, codec av.Codec, mode HEVCMode, record []byte) ([]byte, error) {
	n := len(dst)
	dst, err := videoPrefix(dst, codec, mode, FrameTypeKey, legacySequenceHeader, 0)
	if err != nil {
		return dst[:n], err
	}
	return append(dst, record...), nil
}

// AppendVideoSequenceEnd appends the body of an end-of-sequence video tag.
func AppendVideoSequenceEnd(dst []byte, codec av.Codec, mode HEVCMode) ([]byte, error) {
	n := len(dst)
	dst, err := videoPrefix(dst, codec, mode, FrameTypeKey, legacyEndOfSequence, 0)
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// AppendVideoTagBody appends the body of a coded-frame video tag for f: the
// frame type (key or inter), the codec signalling, the composition time
// PTS−DTS in milliseconds, and every NAL unit of f with a 4-byte big-endian
// length prefix (AVCC/HVCC form). NAL units are written as they are, so a
// key frame keeps its in-band parameter sets and the SEI stamp travels with
// the frame. On error dst is returned unchanged.
func AppendVideoTagBody(dst []byte, f *av.Frame, mode HEVCMode) ([]byte, error) {
	ct, err := compositionMillis(f.PTS, f.DTS)
	if err != nil {
		return dst, err
	}
	var ft byte = FrameTypeInter
	if f.Key {
		ft = FrameTypeKey
	}
	n := len(dst)
	dst, err = videoPrefix(dst, f.Codec, mode, ft, legacyNALU, ct)
	if err != nil {
		return dst[:n], err
	}
	need := 0
	for _, u := range f.NALUs {
		need += 4 + len(u)
	}
	if len(dst)-n+need > MaxTagSize {
		return dst[:n], fmt.Errorf("%w: video tag body of %d bytes exceeds %d", ErrMalformed, len(dst)-n+need, MaxTagSize)
	}
	dst = grow(dst, need)
	for _, u := range f.NALUs {
		dst = appendU32(dst, uint32(len(u)))
		dst = append(dst, u...)
	}
	return dst, nil
}

// grow makes room for n more bytes with at most one reallocation.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), 2*cap(b)+n)
	copy(nb, b)
	return nb
}
