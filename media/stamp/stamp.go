// Package stamp writes and reads the fleetsim frame stamp (DESIGN.md §2.5):
// one SEI message of type 5 (user_data_unregistered, ITU-T H.264 D.1.6 /
// H.265 D.2.6) with fleetsim's UUID, carrying the device id, the frame
// sequence number and the scheduled capture time. Every synthesised video
// frame carries one, before its first slice, so that any receiver can
// compute per-frame latency and loss.
//
// Wire form of the SEI payload (45 bytes after payloadType 5 and
// payloadSize 45):
//
//	16 bytes  UUID 6fe61f54-73d3-49bb-b8cb-12ec6644c61c
//	 1 byte   0x80 | version (version 1)
//	28 bytes  device id (u64), sequence (u64), capture Unix ns (i64), big
//	          endian, 192 bits cut into 28 groups of 7 (the first group
//	          holds the top 3 bits), each stored as 0x80 | group
//
// Every byte of the NAL unit is non-zero, so it never needs emulation
// prevention: its size is fixed (SizeH264 = 49, SizeH265 = 50 bytes) and
// the writer and the fast read path touch no escape logic.
package stamp

import (
	"encoding/binary"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// UUID returns fleetsim's uuid_iso_iec_11578 (a random version 4 UUID
// chosen with no 00 or 03 byte).
func UUID() [16]byte { return fleetsimUUID }

var fleetsimUUID = [16]byte{0x6f, 0xe6, 0x1f, 0x54, 0x73, 0xd3, 0x49, 0xbb, 0xb8, 0xcb, 0x12, 0xec, 0x66, 0x44, 0xc6, 0x1c}

// Version is the stamp layout version written.
const Version = 1

// Stamp identifies one video frame of one device.
type Stamp struct {
	Device  uint64 // device id
	Seq     uint64 // frame sequence number of the device's video stream
	Capture int64  // scheduled capture time, Unix nanoseconds
}

// New makes a stamp with the capture time t.
func New(device, seq uint64, t time.Time) Stamp {
	return Stamp{Device: device, Seq: seq, Capture: t.UnixNano()}
}

// CaptureTime returns Capture as a time.Time.
func (s Stamp) CaptureTime() time.Time { return time.Unix(0, s.Capture) }

const (
	payloadSize = 16 + 1 + groups // 45
	groups      = 28              // ceil(192 / 7)
	seiPrefix   = 2               // payloadType, payloadSize bytes

	// SizeH264 is the length of an H.264 stamp NAL unit: header, payload
	// type and size, payload, rbsp stop byte.
	SizeH264 = 1 + seiPrefix + payloadSize + 1
	// SizeH265 is the length of an H.265 stamp NAL unit (two-byte header).
	SizeH265 = 2 + seiPrefix + payloadSize + 1
)

// Size returns the stamp NAL unit length for a codec (0 for audio).
func Size(c av.Codec) int {
	switch c {
	case av.H264:
		return SizeH264
	case av.H265:
		return SizeH265
	}
	return 0
}

// Append appends the stamp SEI NAL unit for codec c to dst: H.264 type 6,
// or H.265 PREFIX_SEI_NUT 39; for other codecs it appends nothing. It does
// not allocate when dst has Size(c) bytes of spare capacity.
func Append(dst []byte, c av.Codec, s Stamp) []byte {
	switch c {
	case av.H264:
		dst = append(dst, 6)
	case av.H265:
		dst = append(dst, 39<<1, 1)
	default:
		return dst
	}
	dst = append(dst, 5, payloadSize)
	dst = append(dst, fleetsimUUID[:]...)
	dst = append(dst, 0x80|Version)
	dst = appendGroups(dst, s)
	return append(dst, 0x80)
}

// The 196-bit string 0000‖Device‖Seq‖Capture is cut into four pieces
// v0, v1, v2 (56 bits, 8 groups each) and v3 (28 bits, 4 groups); each
// piece is spread into bytes of 7 bits at once (the inverse of pack8).
func appendGroups(dst []byte, s Stamp) []byte {
	c := uint64(s.Capture)
	const marks = 0x8080808080808080
	var out [groups]byte
	binary.BigEndian.PutUint64(out[0:8], spread8(s.Device>>12)|marks)
	binary.BigEndian.PutUint64(out[8:16], spread8((s.Device&0xFFF)<<44|s.Seq>>20)|marks)
	binary.BigEndian.PutUint64(out[16:24], spread8((s.Seq&(1<<20-1))<<36|c>>28)|marks)
	binary.BigEndian.PutUint32(out[24:28], uint32(spread8(c&(1<<28-1)))|0x80808080)
	return append(dst, out[:]...)
}

// spread8 cuts the low 56 bits of v into 8 groups of 7 bits, one a byte,
// most significant first (big endian); bits above 56 are ignored. For
// v < 1<<28 the low 4 bytes hold its 4 groups.
func spread8(v uint64) uint64 {
	x := v&0x000000000FFFFFFF | (v&0x00FFFFFFF0000000)<<4
	x = x&0x00003FFF00003FFF | (x&0x0FFFC0000FFFC000)<<2
	return x&0x007F007F007F007F | (x&0x3F803F803F803F80)<<1
}

// pack8 joins the low 7 bits of 8 bytes (big endian) into 56 bits.
func pack8(x uint64) uint64 {
	x &= 0x7F7F7F7F7F7F7F7F
	x = x&0x007F007F007F007F | (x&0x7F007F007F007F00)>>1
	x = x&0x00003FFF00003FFF | (x&0x3FFF00003FFF0000)>>2
	return x&0x000000000FFFFFFF | (x&0x0FFFFFFF00000000)>>4
}

// decodeGroups reverses appendGroups; ok is false when a byte lacks its
// marker bit or a padding bit is set.
func decodeGroups(p []byte) (Stamp, bool) {
	_ = p[groups-1]
	const marks = 0x8080808080808080
	a := binary.BigEndian.Uint64(p[0:8])
	b := binary.BigEndian.Uint64(p[8:16])
	c := binary.BigEndian.Uint64(p[16:24])
	d := uint64(binary.BigEndian.Uint32(p[24:28]))
	if a&marks != marks || b&marks != marks || c&marks != marks || d&0x80808080 != 0x80808080 {
		return Stamp{}, false
	}
	v0, v1, v2, v3 := pack8(a), pack8(b), pack8(c), pack8(d)
	if v0>>52 != 0 {
		return Stamp{}, false
	}
	return Stamp{
		Device:  v0<<12 | v1>>44,
		Seq:     (v1&(1<<44-1))<<20 | v2>>36,
		Capture: int64((v2&(1<<36-1))<<28 | v3),
	}, true
}
