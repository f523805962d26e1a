// Package bits reads and writes the bit-level syntax of H.264 and H.265
// (ITU-T H.264 7.2, H.265 7.2): fixed-length fields, Exp-Golomb codes, and
// the emulation prevention bytes of an EBSP, which the Reader skips on the
// fly so that parsing a NAL unit needs no unescaped copy.
package bits

import "errors"

// ErrShort is returned when a read runs past the end of the data.
var ErrShort = errors.New("bits: read past end of data")

// ErrExpGolomb is returned for an Exp-Golomb code longer than 32 bits.
var ErrExpGolomb = errors.New("bits: Exp-Golomb code longer than 32 bits")

// Reader reads bits MSB first. Its zero value reads nothing; use Reset.
// The first error sticks: later reads return 0 and Err reports it, so a
// parser can read a run of fields and check once.
type Reader struct {
	buf   []byte
	i     int   // next byte of buf to load
	cur   uint8 // byte being read
	left  uint8 // bits of cur not yet read
	zeros int   // consecutive zero bytes loaded (EBSP mode)
	ebsp  bool
	read  int // bits consumed
	err   error
}

// NewReader returns a Reader over RBSP data (no emulation prevention).
func NewReader(b []byte) Reader { return Reader{buf: b} }

// NewEBSPReader returns a Reader over NAL unit payload bytes as they are on
// the wire: an emulation_prevention_three_byte after two zero bytes is
// skipped.
func NewEBSPReader(b []byte) Reader { return Reader{buf: b, ebsp: true} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Pos returns the number of bits read so far (emulation prevention bytes
// not counted).
func (r *Reader) Pos() int { return r.read }

func (r *Reader) load() bool {
	if r.i >= len(r.buf) {
		if r.err == nil {
			r.err = ErrShort
		}
		return false
	}
	b := r.buf[r.i]
	r.i++
	if r.ebsp {
		if r.zeros >= 2 && b == 3 {
			r.zeros = 0
			if r.i >= len(r.buf) {
				if r.err == nil {
					r.err = ErrShort
				}
				return false
			}
			b = r.buf[r.i]
			r.i++
		}
		if b == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
	}
	r.cur, r.left = b, 8
	return true
}

// Bit reads one bit.
func (r *Reader) Bit() uint {
	if r.err != nil {
		return 0
	}
	if r.left == 0 && !r.load() {
		return 0
	}
	r.left--
	r.read++
	return uint(r.cur>>r.left) & 1
}

// Flag reads one bit as a boolean.
func (r *Reader) Flag() bool { return r.Bit() == 1 }

// U reads an n-bit unsigned field, 0 ≤ n ≤ 64.
func (r *Reader) U(n int) uint64 {
	var v uint64
	for n > 0 && r.err == nil {
		if r.left == 0 && !r.load() {
			return 0
		}
		take := int(r.left)
		if take > n {
			take = n
		}
		r.left -= uint8(take)
		v = v<<uint(take) | uint64(r.cur>>r.left)&(1<<uint(take)-1)
		n -= take
		r.read += take
	}
	if r.err != nil {
		return 0
	}
	return v
}

// Skip discards n bits.
func (r *Reader) Skip(n int) {
	for n > 64 && r.err == nil {
		r.U(64)
		n -= 64
	}
	r.U(n)
}

// UE reads an unsigned Exp-Golomb code ue(v).
func (r *Reader) UE() uint64 {
	zeros := 0
	for r.Bit() == 0 {
		if r.err != nil {
			return 0
		}
		zeros++
		if zeros > 32 {
			r.err = ErrExpGolomb
			return 0
		}
	}
	return (1<<uint(zeros) - 1) + r.U(zeros)
}

// SE reads a signed Exp-Golomb code se(v).
func (r *Reader) SE() int64 {
	k := r.UE()
	if k&1 == 1 {
		return int64((k + 1) / 2)
	}
	return -int64(k / 2)
}

// ByteAligned reports whether the next bit starts a byte.
func (r *Reader) ByteAligned() bool { return r.left == 0 }

// Rest returns the bytes after the current byte position; valid only when
// ByteAligned. In EBSP mode they are still escaped.
func (r *Reader) Rest() []byte { return r.buf[r.i:] }

// MoreRBSPData reports whether data other than rbsp_trailing_bits remains
// (H.264 7.2 more_rbsp_data). It looks ahead without consuming.
func (r *Reader) MoreRBSPData() bool {
	if r.err != nil {
		return false
	}
	// Find the last non-zero byte of the buffer: it holds the stop bit.
	end := len(r.buf) - 1
	for end >= 0 && r.buf[end] == 0 {
		end--
	}
	if end < 0 {
		return false
	}
	last := r.buf[end]
	stop := 0 // bit index (from LSB) of the stop bit
	for last&(1<<uint(stop)) == 0 {
		stop++
	}
	// Current position: the byte at r.i-1 with r.left bits unread, or r.i if
	// none unread.
	if r.left == 0 {
		return r.i < end || (r.i == end && stop < 7)
	}
	if r.i-1 < end {
		return true
	}
	return int(r.left)-1 > stop
}
