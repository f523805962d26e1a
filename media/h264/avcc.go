package h264

import (
	"errors"
	"fmt"
)

// AVCC framing (ISO/IEC 14496-15 5.3.4.2; HVCC is the same): each NAL unit
// preceded by its length in LengthSize (1, 2 or 4; 3 is tolerated on read)
// big-endian bytes. FLV, RTMP and MP4 samples carry NAL units this way.

// ErrLengthSize is returned for a NAL length size outside 1–4.
var ErrLengthSize = errors.New("h264: NAL length size must be 1, 2, 3 or 4")

// SplitAVCC appends to dst the NAL units of a length-prefixed access unit
// and returns it. The NAL units alias b.
func SplitAVCC(dst [][]byte, b []byte, lengthSize int) ([][]byte, error) {
	if lengthSize < 1 || lengthSize > 4 {
		return dst, ErrLengthSize
	}
	n := 0
	for len(b) > 0 {
		if len(b) < lengthSize {
			return dst, fmt.Errorf("h264: AVCC: %d bytes left, need a %d-byte length", len(b), lengthSize)
		}
		var l int
		for _, c := range b[:lengthSize] {
			l = l<<8 | int(c)
		}
		b = b[lengthSize:]
		if l > len(b) {
			return dst, fmt.Errorf("h264: AVCC: NAL unit length %d exceeds the %d bytes left", l, len(b))
		}
		if l > 0 {
			if n >= MaxNALUsPerAU {
				return dst, ErrTooManyNALUs
			}
			dst = append(dst, b[:l])
			n++
		}
		b = b[l:]
	}
	return dst, nil
}

// AVCCSize is the length of nalus written by AppendAVCC.
func AVCCSize(nalus [][]byte, lengthSize int) int {
	n := 0
	for _, u := range nalus {
		n += lengthSize + len(u)
	}
	return n
}

// AppendAVCC appends nalus to dst, each after its length in lengthSize
// bytes. A NAL unit too long for the length size is an error.
func AppendAVCC(dst []byte, lengthSize int, nalus ...[]byte) ([]byte, error) {
	if lengthSize < 1 || lengthSize > 4 {
		return dst, ErrLengthSize
	}
	for _, u := range nalus {
		if lengthSize < 4 && len(u) >= 1<<(8*uint(lengthSize)) {
			return dst, fmt.Errorf("h264: AVCC: NAL unit of %d bytes does not fit a %d-byte length", len(u), lengthSize)
		}
		for s := lengthSize - 1; s >= 0; s-- {
			dst = append(dst, byte(len(u)>>(8*uint(s))))
		}
		dst = append(dst, u...)
	}
	return dst, nil
}

// AnnexBToAVCC converts an Annex-B access unit to 4-byte-length AVCC,
// appending to dst.
func AnnexBToAVCC(dst, annexB []byte) ([]byte, error) {
	var arr [16][]byte
	nalus, err := SplitAnnexB(arr[:0], annexB)
	if err != nil {
		return dst, err
	}
	return AppendAVCC(dst, 4, nalus...)
}

// AVCCToAnnexB converts a length-prefixed access unit to Annex-B, appending
// to dst.
func AVCCToAnnexB(dst, avcc []byte, lengthSize int) ([]byte, error) {
	var arr [16][]byte
	nalus, err := SplitAVCC(arr[:0], avcc, lengthSize)
	if err != nil {
		return dst, err
	}
	return AppendAnnexB(dst, nalus...), nil
}
