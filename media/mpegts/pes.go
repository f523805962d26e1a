package mpegts

import "fmt"

// parsePES returns the timestamps (90 kHz, −1 when absent) and the payload
// of a PES packet.
func parsePES(b []byte) (pts, dts int64, es []byte, err error) {
	pts, dts, start, end, err := parsePESHeader(b, len(b))
	if err != nil {
		return pts, dts, nil, err
	}
	return pts, dts, b[start:end], nil
}

// maxPESHeader is the longest PES header: 9 fixed bytes and up to 255 of
// header data.
const maxPESHeader = 9 + 255

// parsePESHeader checks the header of a PES packet of size bytes of which
// b holds the first min(size, maxPESHeader) (or more), and returns its
// timestamps (90 kHz, −1 when absent) and where its payload lies:
// [start, end) in the PES. It is parsePES for a PES that is not held whole,
// with the same errors.
func parsePESHeader(b []byte, size int) (pts, dts int64, start, end int, err error) {
	if size < 9 {
		return 0, 0, 0, 0, fmt.Errorf("%w: PES header", ErrTruncated)
	}
	if b[0] != 0 || b[1] != 0 || b[2] != 1 {
		return 0, 0, 0, 0, fmt.Errorf("%w: PES start code prefix", ErrMalformed)
	}
	length := int(b[4])<<8 | int(b[5])
	if b[6]&0xC0 != 0x80 {
		return 0, 0, 0, 0, fmt.Errorf("%w: PES header marker bits", ErrMalformed)
	}
	hl := int(b[8])
	if 9+hl > size {
		return 0, 0, 0, 0, fmt.Errorf("%w: PES header data length %d", ErrTruncated, hl)
	}
	end = size
	if length != 0 {
		if 6+length > size {
			return 0, 0, 0, 0, fmt.Errorf("%w: PES of %d bytes, %d present", ErrTruncated, 6+length, size)
		}
		if 6+length < 9+hl {
			return 0, 0, 0, 0, fmt.Errorf("%w: PES_packet_length %d", ErrMalformed, length)
		}
		end = 6 + length
	}
	pts, dts = -1, -1
	h := b[9 : 9+hl]
	switch b[7] >> 6 {
	case 2:
		if len(h) < 5 {
			return 0, 0, 0, 0, fmt.Errorf("%w: PTS", ErrTruncated)
		}
		pts = readTimestamp(h)
		dts = pts
	case 3:
		if len(h) < 10 {
			return 0, 0, 0, 0, fmt.Errorf("%w: PTS/DTS", ErrTruncated)
		}
		pts, dts = readTimestamp(h), readTimestamp(h[5:])
	case 1:
		return 0, 0, 0, 0, fmt.Errorf("%w: PTS_DTS_flags 01", ErrMalformed)
	}
	return pts, dts, 9 + hl, end, nil
}

func readTimestamp(b []byte) int64 {
	return int64(b[0]>>1&7)<<30 | int64(b[1])<<22 | int64(b[2]>>1)<<15 | int64(b[3])<<7 | int64(b[4]>>1)
}

// appendPESHeader appends a PES header for an ES payload of size bytes.
// PES_packet_length is set when it fits in 16 bits, else 0 (allowed for
// video).
func appendPESHeader(dst []byte, streamID byte, size int, pts, dts uint64, withDTS bool) []byte {
	hdrData := 5
	flags := byte(0x80)
	if withDTS {
		hdrData, flags = 10, 0xC0
	}
	length := 3 + hdrData + size
	if length > 0xFFFF {
		length = 0
	}
	dst = append(dst, 0, 0, 1, streamID, byte(length>>8), byte(length), 0x84, flags, byte(hdrData))
	if withDTS {
		dst = appendTimestamp(dst, 0x3, pts)
		return appendTimestamp(dst, 0x1, dts)
	}
	return appendTimestamp(dst, 0x2, pts)
}

// appendTimestamp writes a 33-bit PTS/DTS with its 4-bit prefix and markers.
func appendTimestamp(dst []byte, prefix byte, ts uint64) []byte {
	return append(dst,
		prefix<<4|byte(ts>>29)&0x0E|1,
		byte(ts>>22),
		byte(ts>>14)|1,
		byte(ts>>7),
		byte(ts<<1)|1)
}
