package chunk

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Writer encodes messages into chunks. It is not safe for concurrent use;
// the connection that owns it serialises writers.
type Writer struct {
	w         io.Writer
	chunkSize uint32
	buf       []byte
	// With a pool, the encode buffer is borrowed for each flush and given
	// back after it, so an idle writer holds no buffer.
	pool    *BufferPool
	bufp    *[]byte
	small   []byte // resident buffer for small messages when pooled
	streams map[uint32]*writeState
	// low keeps the states of the common chunk streams 2..9 out of the map.
	low [8]writeState
	// flushed counts the bytes the underlying writer accepted.
	flushed uint64
	// off is how much of buf a partial FlushSome already wrote.
	off int
}

type writeState struct {
	valid    bool
	streamID uint32
	ts       Timestamp
	delta    uint32
	length   uint32
	typ      TypeID
	// hasDelta tells that the last header was format 1 or 2, so a format 3
	// header may start a new message with the same delta. After format 0
	// peers disagree on what delta a format 3 header implies, so the
	// writer never relies on it.
	hasDelta bool
	// field is the last timestamp field written (absolute for format 0, a
	// delta otherwise), repeated in extended form on format 3 chunks when
	// extended.
	field    uint32
	extended bool
}

// NewWriter returns a Writer with the default chunk size of 128.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, chunkSize: DefaultChunkSize}
}

// smallBuffer is the resident buffer of a pooled writer: messages that
// fit (commands, control, audio) never touch the pool.
const smallBuffer = 1024

// UsePool makes the writer borrow its encode buffer from p for each batch
// larger than 1 KiB and return it after the flush. Thousands of mostly idle connections then
// share a few buffers instead of holding one as large as their largest
// message each.
func (w *Writer) UsePool(p *BufferPool) { w.pool = p }

// ChunkSize returns the current outgoing chunk size.
func (w *Writer) ChunkSize() uint32 { return w.chunkSize }

// SetChunkSize changes the chunk size used by messages appended from now
// on. The peer must learn it first: use AppendSetChunkSize, which queues the
// Set Chunk Size message and switches in the right order.
func (w *Writer) SetChunkSize(n uint32) error {
	if n < 1 || n > MaxChunkSize {
		return fmt.Errorf("chunk: chunk size %d outside 1..%d", n, MaxChunkSize)
	}
	w.chunkSize = n
	return nil
}

// AppendSetChunkSize queues a Set Chunk Size message (on chunk stream 2),
// then switches to n for everything after it.
func (w *Writer) AppendSetChunkSize(n uint32) error {
	if n < 1 || n > MaxChunkSize {
		return fmt.Errorf("chunk: chunk size %d outside 1..%d", n, MaxChunkSize)
	}
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], n)
	if err := w.Append(&Message{CSID: 2, Type: TypeSetChunkSize, Payload: p[:]}); err != nil {
		return err
	}
	w.chunkSize = n
	return nil
}

// Buffered returns the number of encoded bytes not yet flushed.
func (w *Writer) Buffered() int { return len(w.buf) - w.off }

// WriteMessage encodes m and writes it with one Write call (together with
// anything appended before and not yet flushed).
func (w *Writer) WriteMessage(m *Message) error {
	if err := w.Append(m); err != nil {
		return err
	}
	return w.Flush()
}

// Flush writes everything appended so far (what a FlushSome left) with
// one Write call.
func (w *Writer) Flush() error {
	if len(w.buf) == w.off {
		return nil
	}
	n, err := w.w.Write(w.buf[w.off:])
	w.flushed += uint64(n)
	w.release()
	return err
}

// PartialWriter writes what it can of p at once, without waiting (a
// non-blocking socket write): n < len(p) with a nil error means the rest
// has to wait.
type PartialWriter interface {
	WriteSome(p []byte) (n int, err error)
}

// FlushSome gives the buffered bytes to pw, which may take only part of
// them; the rest stays buffered, in order, for the next FlushSome or
// Flush (messages appended meanwhile go after it). done reports that
// nothing is left. After an error the buffer is dropped, as Flush does.
func (w *Writer) FlushSome(pw PartialWriter) (done bool, err error) {
	if len(w.buf) == w.off {
		return true, nil
	}
	n, err := pw.WriteSome(w.buf[w.off:])
	n = max(0, min(n, len(w.buf)-w.off))
	w.flushed += uint64(n)
	w.off += n
	if err != nil || w.off == len(w.buf) {
		w.release()
		return err == nil, err
	}
	return false, nil
}

// Flushed is the number of bytes the underlying writer accepted so far,
// including those of a failed write's partial progress. Flushed plus
// Buffered is the stream offset at which the next message starts.
func (w *Writer) Flushed() uint64 { return w.flushed }

// release empties the buffer and, with a pool, gives it back.
func (w *Writer) release() {
	w.off = 0
	if w.bufp != nil {
		*w.bufp = w.buf[:0]
		w.pool.Put(w.bufp)
		w.bufp = nil
		w.buf = w.small[:0]
		return
	}
	if w.pool != nil && cap(w.buf) > smallBuffer {
		// A batch outgrew the resident buffer: do not keep the growth.
		w.buf = w.small[:0]
		return
	}
	w.buf = w.buf[:0]
}

// Reset drops unflushed bytes (after a failed write the connection is
// unusable anyway); header compression state is kept.
func (w *Writer) Reset() { w.release() }

func (w *Writer) state(csid uint32) *writeState {
	if csid >= 2 && csid < 10 {
		return &w.low[csid-2]
	}
	if w.streams == nil {
		w.streams = make(map[uint32]*writeState)
	}
	st := w.streams[csid]
	if st == nil {
		st = new(writeState)
		w.streams[csid] = st
	}
	return st
}

// Append encodes m into the write buffer without writing it.
func (w *Writer) Append(m *Message) error {
	parts := [1][]byte{m.Payload}
	return w.append(m, len(m.Payload), parts[:])
}

// AppendParts encodes a message whose payload is the concatenation of
// parts (m.Payload is ignored), copying each part once, straight into the
// chunks: a caller assembling a payload from pieces (a tag header, length
// prefixes, shared NAL units) needs no buffer of its own. The bytes are
// those of Append with the concatenated payload.
func (w *Writer) AppendParts(m *Message, parts [][]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return w.append(m, n, parts)
}

func (w *Writer) append(m *Message, size int, parts [][]byte) error {
	if m.CSID < MinCSID || m.CSID > MaxCSID {
		return fmt.Errorf("chunk: chunk stream id %d outside %d..%d", m.CSID, MinCSID, MaxCSID)
	}
	if size > MaxMessageLength {
		return fmt.Errorf("chunk: message of %d bytes exceeds %d", size, MaxMessageLength)
	}
	st := w.state(m.CSID)
	length := uint32(size)
	if w.pool != nil {
		w.reserve(size)
	}

	var format byte
	switch {
	case !st.valid || m.StreamID != st.streamID || m.Timestamp < st.ts:
		format = 0
	case length != st.length || m.Type != st.typ:
		format = 1
	case uint32(m.Timestamp-st.ts) != st.delta || !st.hasDelta:
		format = 2
	default:
		format = 3
	}

	// Header of the first chunk.
	var field uint32
	switch format {
	case 0:
		field = uint32(m.Timestamp)
	case 1, 2:
		field = uint32(m.Timestamp - st.ts)
	case 3:
		field = st.delta
	}
	ext := field >= extendedMarker
	if format == 3 {
		ext = st.extended
	}
	b := appendBasicHeader(w.buf, format, m.CSID)
	if format <= 2 {
		tf := field
		if ext {
			tf = extendedMarker
		}
		b = append(b, byte(tf>>16), byte(tf>>8), byte(tf))
		if format <= 1 {
			b = append(b, byte(length>>16), byte(length>>8), byte(length), byte(m.Type))
		}
		if format == 0 {
			b = binary.LittleEndian.AppendUint32(b, m.StreamID)
		}
	}
	if ext {
		b = binary.BigEndian.AppendUint32(b, field)
	}

	// Payload, with format 3 headers before each continuation chunk.
	room := w.chunkSize
	for _, p := range parts {
		for len(p) > 0 {
			if room == 0 {
				b = appendBasicHeader(b, 3, m.CSID)
				if ext {
					b = binary.BigEndian.AppendUint32(b, field)
				}
				room = w.chunkSize
			}
			n := min(uint32(len(p)), room)
			b = append(b, p[:n]...)
			p = p[n:]
			room -= n
		}
	}
	w.buf = b

	st.valid = true
	if format == 0 {
		st.hasDelta = false
		st.delta = 0
	} else {
		st.hasDelta = true
		st.delta = field
	}
	st.streamID = m.StreamID
	st.ts = m.Timestamp
	st.length = length
	st.typ = m.Type
	st.field = field
	st.extended = ext
	return nil
}

// reserve makes room in a pooled writer's buffer for one more message of
// n payload bytes and its chunk headers (at most 18 bytes a chunk): small
// batches use the resident buffer, larger ones a pooled buffer, moved to a
// larger one when a batch of several messages outgrows it, so appending
// never grows a buffer the pool cannot take back.
func (w *Writer) reserve(n int) {
	if w.bufp == nil && len(w.buf) == 0 {
		if w.small == nil {
			w.small = make([]byte, 0, smallBuffer)
		}
		w.buf = w.small[:0]
	}
	need := len(w.buf) + n + (n/int(w.chunkSize)+1)*18
	if need <= cap(w.buf) {
		return
	}
	nb := w.pool.Get(need)
	*nb = append((*nb)[:0], w.buf...)
	if w.bufp != nil {
		*w.bufp = w.buf[:0]
		w.pool.Put(w.bufp)
	}
	w.bufp, w.buf = nb, *nb
}

func appendBasicHeader(b []byte, format byte, csid uint32) []byte {
	switch {
	case csid < 64:
		return append(b, format<<6|byte(csid))
	case csid < 320:
		return append(b, format<<6, byte(csid-64))
	default:
		c := csid - 64
		return append(b, format<<6|1, byte(c), byte(c>>8))
	}
}
