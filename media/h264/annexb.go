package h264

import (
	"bytes"
	"errors"
)

// Annex-B byte stream framing (ITU-T H.264 Annex B; the same in ITU-T H.265
// Annex B): NAL units each preceded by a start code 00 00 01 or 00 00 00 01.

// ErrNoStartCode is returned when Annex-B data does not begin with a start
// code.
var ErrNoStartCode = errors.New("h264: Annex-B data does not start with a start code")

// ErrTooManyNALUs is returned when an access unit holds more NAL units than
// the caller allowed.
var ErrTooManyNALUs = errors.New("h264: too many NAL units")

// MaxNALUsPerAU bounds the NAL units SplitAnnexB and SplitAVCC return from
// one call, so hostile input cannot make the result slice grow without
// bound: no real access unit comes near it.
const MaxNALUsPerAU = 4096

// SplitAnnexB appends to dst the NAL units of an Annex-B byte stream (start
// codes and trailing_zero_8bits removed) and returns it. The NAL units alias
// b. Leading zero bytes before the first start code are allowed; data that
// does not start with a start code is an error. Empty NAL units (two start
// codes in a row) are skipped.
func SplitAnnexB(dst [][]byte, b []byte) ([][]byte, error) {
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	if i < 2 || i >= len(b) || b[i] != 1 {
		return dst, ErrNoStartCode
	}
	start := i + 1
	n := 0
	for {
		end, next := nextStartCode(b, start)
		u := b[start:end]
		// trailing_zero_8bits belong to the stream, not the NAL unit.
		for len(u) > 0 && u[len(u)-1] == 0 {
			u = u[:len(u)-1]
		}
		if len(u) > 0 {
			if n >= MaxNALUsPerAU {
				return dst, ErrTooManyNALUs
			}
			dst = append(dst, u)
			n++
		}
		if next < 0 {
			return dst, nil
		}
		start = next
	}
}

// nextStartCode finds the next 00 00 01 at or after i. It returns the end of
// the current NAL unit and the index after the start code, or len(b), -1.
func nextStartCode(b []byte, i int) (end, next int) {
	if k := bytes.Index(b[i:], startCode3); k >= 0 {
		return i + k, i + k + 3
	}
	return len(b), -1
}

var startCode3 = []byte{0, 0, 1}

// AnnexBSize is the length of nalus written by AppendAnnexB.
func AnnexBSize(nalus [][]byte) int {
	n := 0
	for _, u := range nalus {
		n += 4 + len(u)
	}
	return n
}

// AppendAnnexB appends nalus to dst, each after a 4-byte start code.
func AppendAnnexB(dst []byte, nalus ...[]byte) []byte {
	for _, u := range nalus {
		dst = append(dst, 0, 0, 0, 1)
		dst = append(dst, u...)
	}
	return dst
}
