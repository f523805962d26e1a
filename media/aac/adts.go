package aac

import (
	"errors"
	"fmt"
)

// ADTS is a parsed adts_fixed_header + adts_variable_header (1.A.2.2).
type ADTS struct {
	MPEG2         bool       // ID = 1
	CRC           bool       // protection_absent = 0: a 16-bit CRC follows the header
	Object        ObjectType // profile_ObjectType + 1
	RateIndex     int
	SampleRate    int
	Channels      int // channel_configuration (0 = defined in the stream)
	FrameLength   int // aac_frame_length: header + CRC + payload
	Fullness      int // adts_buffer_fullness (0x7FF = VBR)
	RawDataBlocks int // number_of_raw_data_blocks_in_frame + 1
}

// HeaderLen is 7, or 9 with a CRC.
func (h *ADTS) HeaderLen() int {
	if h.CRC {
		return 9
	}
	return 7
}

// ErrSync is returned when data does not start with the ADTS syncword.
var ErrSync = errors.New("aac: no ADTS syncword")

// ParseADTS parses the header at the start of b. It checks the syncword,
// layer, sampling frequency index and that aac_frame_length covers the
// header; it does not require the whole frame to be present.
func ParseADTS(b []byte) (ADTS, error) {
	var h ADTS
	if len(b) < 7 {
		return h, fmt.Errorf("aac: ADTS header needs 7 bytes, have %d", len(b))
	}
	if b[0] != 0xFF || b[1]&0xF0 != 0xF0 {
		return h, ErrSync
	}
	if b[1]&0x06 != 0 {
		return h, fmt.Errorf("aac: ADTS layer %d, want 0", b[1]>>1&3)
	}
	h.MPEG2 = b[1]&0x08 != 0
	h.CRC = b[1]&0x01 == 0
	h.Object = ObjectType(b[2]>>6) + 1
	h.RateIndex = int(b[2] >> 2 & 0x0F)
	var err error
	if h.SampleRate, err = SampleRate(h.RateIndex); err != nil {
		return h, err
	}
	h.Channels = int(b[2]&1)<<2 | int(b[3]>>6)
	h.FrameLength = int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5)
	h.Fullness = int(b[5]&0x1F)<<6 | int(b[6]>>2)
	h.RawDataBlocks = int(b[6]&3) + 1
	if h.FrameLength < h.HeaderLen() {
		return h, fmt.Errorf("aac: ADTS aac_frame_length %d shorter than the header", h.FrameLength)
	}
	if len(b) < h.HeaderLen() {
		return h, fmt.Errorf("aac: ADTS header with CRC needs 9 bytes, have %d", len(b))
	}
	return h, nil
}

// SplitADTS parses the ADTS frame at the start of b and returns its header,
// its payload (after header and CRC; raw data blocks as they are) and the
// bytes after the frame. The frame must be complete.
func SplitADTS(b []byte) (h ADTS, payload, rest []byte, err error) {
	if h, err = ParseADTS(b); err != nil {
		return h, nil, b, err
	}
	if len(b) < h.FrameLength {
		return h, nil, b, fmt.Errorf("aac: ADTS frame of %d bytes, have %d", h.FrameLength, len(b))
	}
	return h, b[h.HeaderLen():h.FrameLength:h.FrameLength], b[h.FrameLength:], nil
}

// MaxADTSPayload is the largest payload one ADTS frame without CRC can hold.
const MaxADTSPayload = 1<<13 - 1 - 7

// AppendADTS appends a 7-byte ADTS header (no CRC, one raw data block,
// MPEG-4 ID, VBR fullness) for a payload of payloadLen bytes.
func AppendADTS(dst []byte, obj ObjectType, rateIndex, channels, payloadLen int) ([]byte, error) {
	if obj < 1 || obj > 4 {
		return dst, fmt.Errorf("aac: object type %d cannot be signalled in ADTS", obj)
	}
	if rateIndex < 0 || rateIndex >= len(sampleRates) || channels < 0 || channels > 7 {
		return dst, fmt.Errorf("aac: ADTS rate index %d or channels %d out of range", rateIndex, channels)
	}
	if payloadLen < 0 || payloadLen > MaxADTSPayload {
		return dst, fmt.Errorf("aac: ADTS payload of %d bytes exceeds %d", payloadLen, MaxADTSPayload)
	}
	n := payloadLen + 7
	return append(dst,
		0xFF, 0xF1,
		byte(obj-1)<<6|byte(rateIndex)<<2|byte(channels>>2),
		byte(channels&3)<<6|byte(n>>11),
		byte(n>>3),
		byte(n&7)<<5|0x1F,
		0xFC), nil
}

// AppendADTSFrame appends an ADTS header for cfg and then payload.
func AppendADTSFrame(dst []byte, cfg Config, payload []byte) ([]byte, error) {
	idx, err := SampleRateIndex(cfg.SampleRate)
	if err != nil {
		return dst, err
	}
	dst, err = AppendADTS(dst, cfg.Object, idx, cfg.Channels, len(payload))
	if err != nil {
		return dst, err
	}
	return append(dst, payload...), nil
}

// Config returns the AudioSpecificConfig equivalent of the header.
func (h *ADTS) Config() Config {
	return Config{Object: h.Object, SampleRate: h.SampleRate, Channels: h.Channels, FrameLength: SamplesPerFrame}
}
