package flv

import (
	"errors"
	"fmt"
	"time"
)

// TagType is the type of an FLV tag (and of the RTMP message carrying it).
type TagType uint8

const (
	TagAudio  TagType = 8
	TagVideo  TagType = 9
	TagScript TagType = 18
)

func (t TagType) String() string {
	switch t {
	case TagAudio:
		return "audio"
	case TagVideo:
		return "video"
	case TagScript:
		return "script"
	}
	return fmt.Sprintf("tagtype(%d)", uint8(t))
}

// MaxTagSize is the largest tag body FLV can describe (24-bit DataSize).
const MaxTagSize = 1<<24 - 1

// MaxNALUs is the most NAL units a parsed video tag body may hold.
const MaxNALUs = 4096

// Errors of the parsers. Every parse error wraps one of these.
var (
	ErrTruncated   = errors.New("flv: truncated")
	ErrMalformed   = errors.New("flv: malformed")
	ErrUnsupported = errors.New("flv: unsupported")
)

// TagHeaderSize is the size of the tag header preceding each body in a file.
const TagHeaderSize = 11

// maxTimestamp is the largest FLV timestamp (UI24 + UI8 extension, ms).
const maxTimestamp = 1<<32 - 1

// Milliseconds converts a timestamp to FLV's 32-bit millisecond clock,
// wrapping like the format does after about 49.7 days.
func Milliseconds(d time.Duration) uint32 { return uint32(d / time.Millisecond) }

// putU24 writes v big-endian in 3 bytes.
func appendU24(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>16), byte(v>>8), byte(v))
}

func appendU32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func u24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

func u32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// si24 decodes a signed 24-bit big-endian integer.
func si24(b []byte) int32 { return int32(u24(b)<<8) >> 8 }

const (
	minSI24 = -1 << 23
	maxSI24 = 1<<23 - 1
)

// compositionMillis converts PTS−DTS to the SI24 milliseconds of FLV.
func compositionMillis(pts, dts time.Duration) (int32, error) {
	ct := (pts - dts) / time.Millisecond
	if ct < minSI24 || ct > maxSI24 {
		return 0, fmt.Errorf("%w: composition time %v out of SI24 range", ErrMalformed, pts-dts)
	}
	return int32(ct), nil
}
