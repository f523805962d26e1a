package flv

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/av"
)

// FLV SoundFormat values (the high nibble of the first audio body byte).
const (
	SoundFormatPCMA = 7
	SoundFormatPCMU = 8
	SoundFormatAAC  = 10
)

// AACPacketType values.
const (
	AACSequenceHeader = 0
	AACRaw            = 1
)

// aacFlags is the first byte of every AAC tag: format 10, "44 kHz",
// 16-bit, stereo — fixed by the FLV spec for AAC; the real parameters are
// in the AudioSpecificConfig.
const aacFlags = SoundFormatAAC<<4 | 3<<2 | 1<<1 | 1

// G.711 flags as widely written (ffmpeg's muxer): rate index 0 (the codec
// implies 8 kHz), 16-bit sample size, mono.
const (
	pcmaFlags = SoundFormatPCMA<<4 | 0<<2 | 1<<1 | 0
	pcmuFlags = SoundFormatPCMU<<4 | 0<<2 | 1<<1 | 0
)

// AppendAACSequenceHeader appends the body of an AAC sequence-header tag
// carrying an AudioSpecificConfig.
func AppendAACSequenceHeader(dst []byte, asc []byte) []byte {
	dst = append(dst, aacFlags, AACSequenceHeader)
	return append(dst, asc...)
}

// AppendAudioTagBody appends the body of an audio tag for f: a raw AAC
// access unit (AACPacketType 1) or G.711 A-law/µ-law samples. On error dst
// is returned unchanged.
func AppendAudioTagBody(dst []byte, f *av.Frame) ([]byte, error) {
	n := len(dst)
	dst, err := appendAudioFlags(dst, f)
	if err != nil {
		return dst[:n], err
	}
	return append(dst, f.Payload...), nil
}

// appendAudioFlags appends the audio tag body's bytes before f's payload.
func appendAudioFlags(dst []byte, f *av.Frame) ([]byte, error) {
	if 2+len(f.Payload) > MaxTagSize {
		return dst, fmt.Errorf("%w: audio payload of %d bytes", ErrMalformed, len(f.Payload))
	}
	switch f.Codec {
	case av.AAC:
		return append(dst, aacFlags, AACRaw), nil
	case av.PCMA:
		return append(dst, pcmaFlags), nil
	case av.PCMU:
		return append(dst, pcmuFlags), nil
	}
	return dst, fmt.Errorf("%w: audio codec %v", ErrUnsupported, f.Codec)
}
