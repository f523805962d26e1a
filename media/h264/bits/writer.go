package bits

// Writer appends bits MSB first to a byte slice. It writes RBSP: escaping
// into an EBSP is a separate step (h264.AppendEscaped).
type Writer struct {
	buf  []byte
	cur  uint64
	used uint // bits in cur
}

// NewWriter returns a Writer appending to dst.
func NewWriter(dst []byte) Writer { return Writer{buf: dst} }

// U writes the low n bits of v, 0 ≤ n ≤ 32.
func (w *Writer) U(n int, v uint64) {
	if n == 0 {
		return
	}
	w.cur = w.cur<<uint(n) | v&(1<<uint(n)-1)
	w.used += uint(n)
	for w.used >= 8 {
		w.used -= 8
		w.buf = append(w.buf, byte(w.cur>>w.used))
	}
}

// U64 writes the low n bits of v, 0 ≤ n ≤ 64.
func (w *Writer) U64(n int, v uint64) {
	if n > 32 {
		w.U(n-32, v>>32)
		n = 32
	}
	w.U(n, v)
}

// Flag writes one bit.
func (w *Writer) Flag(b bool) {
	if b {
		w.U(1, 1)
	} else {
		w.U(1, 0)
	}
}

// UE writes an unsigned Exp-Golomb code.
func (w *Writer) UE(v uint64) {
	v++
	n := 0
	for x := v; x > 1; x >>= 1 {
		n++
	}
	w.U(n, 0)
	w.U64(n+1, v)
}

// SE writes a signed Exp-Golomb code.
func (w *Writer) SE(v int64) {
	if v > 0 {
		w.UE(uint64(2*v - 1))
	} else {
		w.UE(uint64(-2 * v))
	}
}

// ByteAligned reports whether the writer is at a byte boundary.
func (w *Writer) ByteAligned() bool { return w.used == 0 }

// BitLen returns the number of bits written since NewWriter's dst.
func (w *Writer) BitLen() int { return len(w.buf)*8 + int(w.used) }

// AlignZero pads with zero bits to a byte boundary.
func (w *Writer) AlignZero() {
	if w.used > 0 {
		w.U(int(8-w.used), 0)
	}
}

// TrailingBits writes rbsp_trailing_bits: a one bit, then zeros to a byte
// boundary.
func (w *Writer) TrailingBits() {
	w.U(1, 1)
	w.AlignZero()
}

// Bytes returns the written bytes; call only when ByteAligned.
func (w *Writer) Bytes() []byte { return w.buf }
