package fmp4

import "fmt"

// box is one parsed box header.
type box struct {
	typ  [4]byte
	body []byte // content after the header
	size int    // whole box
}

// nextBox parses the box at the start of b.
func nextBox(b []byte) (box, error) {
	if len(b) < 8 {
		return box{}, fmt.Errorf("%w: box header (%d bytes left)", ErrTruncated, len(b))
	}
	size := uint64(u32(b))
	hdr := 8
	switch size {
	case 0: // to the end
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return box{}, fmt.Errorf("%w: largesize box header", ErrTruncated)
		}
		size, hdr = u64(b[8:]), 16
	}
	var bx box
	copy(bx.typ[:], b[4:8])
	if size < uint64(hdr) {
		return box{}, fmt.Errorf("%w: box %q of size %d", ErrMalformed, b[4:8], size)
	}
	if size > uint64(len(b)) {
		return box{}, fmt.Errorf("%w: box %q of %d bytes, %d left", ErrTruncated, b[4:8], size, len(b))
	}
	bx.size = int(size)
	bx.body = b[hdr:size]
	return bx, nil
}

// boxes iterates over the boxes in a byte range without allocating:
//
//	for it := (boxes{b: body}); it.next(); { ... it.box ... }
//	if it.err != nil { ... }
type boxes struct {
	b   []byte
	box box
	err error
}

func (it *boxes) next() bool {
	if it.err != nil || len(it.b) == 0 {
		return false
	}
	it.box, it.err = nextBox(it.b)
	if it.err != nil {
		return false
	}
	it.b = it.b[it.box.size:]
	return true
}

func is(bx box, typ string) bool { return string(bx.typ[:]) == typ }

// fullBox splits a full box body into version, flags and content.
func fullBox(b []byte) (byte, uint32, []byte, error) {
	if len(b) < 4 {
		return 0, 0, nil, fmt.Errorf("%w: full box header", ErrTruncated)
	}
	return b[0], uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), b[4:], nil
}
