package h264

import "fmt"

// Filler hands out filler-data NAL units (H.264 type 12, H.265 FD_NUT 38)
// that pad an access unit to a byte-exact size without allocating per
// frame: every NAL unit it returns is built once and shared.
//
// A padding of n bytes is the fewest pieces among: a 16 KiB unit repeated,
// one unit of each power of two from 256 B to 8 KiB, and one unit of an
// exact size between the minimum and the minimum + 255 B. The NAL units of
// one Filler take about 64 KiB in all.
type Filler struct {
	min   int      // smallest filler NAL: header + stop byte
	small [][]byte // small[i] is min+i bytes long
	big   [][]byte // big[k] is 256<<k bytes long
}

const (
	fillerSmall  = 256
	fillerBigTop = 6 // big classes 256 B … 16 KiB
)

// NewFiller builds the filler units for a NAL header: {0x0C} for H.264,
// {0x4C, 0x01} for H.265.
func NewFiller(header []byte) *Filler {
	f := &Filler{min: len(header) + 1}
	unit := func(n int) []byte {
		b := make([]byte, n)
		copy(b, header)
		for i := len(header); i < n-1; i++ {
			b[i] = 0xFF // ff_byte
		}
		b[n-1] = 0x80 // rbsp_trailing_bits
		return b[:n:n]
	}
	for i := 0; i < fillerSmall; i++ {
		f.small = append(f.small, unit(f.min+i))
	}
	for k := 0; k <= fillerBigTop; k++ {
		f.big = append(f.big, unit(fillerSmall<<uint(k)))
	}
	return f
}

// Min is the smallest padding a Filler can add (2 bytes for H.264, 3 for
// H.265).
func (f *Filler) Min() int { return f.min }

// Append appends filler NAL units totalling exactly n bytes to dst. For
// 0 < n < Min nothing can be added; Append then adds Min bytes, so the
// result is at most Min−1 bytes over. It returns the bytes added.
func (f *Filler) Append(dst [][]byte, n int) ([][]byte, int) {
	if n <= 0 {
		return dst, 0
	}
	if n < f.min {
		return append(dst, f.small[0]), f.min
	}
	added := 0
	top := f.big[len(f.big)-1]
	for n-len(top) >= f.min {
		dst = append(dst, top)
		n -= len(top)
		added += len(top)
	}
	for k := len(f.big) - 2; k >= 0; k-- {
		if n-len(f.big[k]) >= f.min {
			dst = append(dst, f.big[k])
			n -= len(f.big[k])
			added += len(f.big[k])
		}
	}
	if n-f.min >= len(f.small) {
		panic(fmt.Sprintf("h264: filler decomposition left %d bytes", n)) // unreachable: big[0] is fillerSmall
	}
	dst = append(dst, f.small[n-f.min])
	return dst, added + n
}
