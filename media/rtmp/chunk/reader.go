package chunk

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Reader errors.
var (
	ErrMessageTooLarge  = errors.New("chunk: message exceeds the size limit")
	ErrTooManyStreams   = errors.New("chunk: too many chunk streams")
	ErrNoPreviousHeader = errors.New("chunk: compressed header without a previous header")
	ErrBadChunkSize     = errors.New("chunk: invalid chunk size")
	ErrInterrupted      = errors.New("chunk: new message header before the previous message on the chunk stream ended")
)

// ReaderOptions bound what a Reader accepts.
type ReaderOptions struct {
	// MaxMessageSize is the largest message accepted; default 4 MiB.
	MaxMessageSize int
	// MaxChunkStreams is the most chunk streams tracked; default 64.
	MaxChunkStreams int
	// Pool supplies message buffers; default a pool of the Reader's own.
	Pool *BufferPool
	// BufferSize is the bufio size; default 4096.
	BufferSize int
}

// Reader reassembles messages from chunks. It is not safe for concurrent use.
type Reader struct {
	br        *bufio.Reader
	cr        countingReader
	chunkSize uint32
	opts      ReaderOptions
	streams   map[uint32]*readState
	hdr       [16]byte
	msg       Message
	// lent is the stream whose buffer the last returned message uses; it
	// goes back to the pool on the next call.
	lent *readState
}

type readState struct {
	valid    bool
	streamID uint32
	ts       Timestamp
	delta    uint32
	length   uint32
	typ      TypeID
	extended bool
	field    uint32
	// buf holds the message being assembled (nil between messages).
	buf *[]byte
}

type countingReader struct {
	r io.Reader
	n uint64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += uint64(n)
	return n, err
}

// NewReader returns a Reader with the default chunk size of 128.
func NewReader(r io.Reader, o ReaderOptions) *Reader {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 4 << 20
	}
	if o.MaxMessageSize > MaxMessageLength {
		o.MaxMessageSize = MaxMessageLength
	}
	if o.MaxChunkStreams <= 0 {
		o.MaxChunkStreams = 64
	}
	if o.Pool == nil {
		o.Pool = NewBufferPool()
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 4096
	}
	rd := &Reader{chunkSize: DefaultChunkSize, opts: o, streams: make(map[uint32]*readState)}
	rd.cr.r = r
	rd.br = bufio.NewReaderSize(&rd.cr, o.BufferSize)
	return rd
}

// ChunkSize returns the incoming chunk size.
func (r *Reader) ChunkSize() uint32 { return r.chunkSize }

// SetChunkSize sets the incoming chunk size (the Reader does this itself
// when it reads a Set Chunk Size message).
func (r *Reader) SetChunkSize(n uint32) error {
	if n < 1 || n > MaxChunkSize {
		return fmt.Errorf("%w: %d", ErrBadChunkSize, n)
	}
	r.chunkSize = n
	return nil
}

// BytesRead returns the number of bytes read from the underlying reader so
// far (for acknowledgements).
func (r *Reader) BytesRead() uint64 { return r.cr.n }

// Release returns the buffer of the last message to the pool. ReadMessage
// does it itself; call Release when done reading for good.
func (r *Reader) Release() {
	if r.lent != nil {
		if r.lent.buf != nil {
			r.opts.Pool.Put(r.lent.buf)
			r.lent.buf = nil
		}
		r.lent = nil
	}
	r.msg.Payload = nil
}

// ReadMessage reads chunks until a message is complete and returns it. The
// message and its payload are valid only until the next call: copy what
// must be retained. Set Chunk Size and Abort messages are applied before
// they are returned.
func (r *Reader) ReadMessage() (*Message, error) {
	r.Release()
	for {
		st, csid, err := r.readChunk()
		if err != nil {
			return nil, err
		}
		if st == nil || uint32(len(*st.buf)) < st.length {
			continue
		}
		r.lent = st
		r.msg = Message{CSID: csid, Type: st.typ, StreamID: st.streamID, Timestamp: st.ts, Payload: *st.buf}
		if err := r.control(&r.msg); err != nil {
			return nil, err
		}
		return &r.msg, nil
	}
}

func (r *Reader) control(m *Message) error {
	switch m.Type {
	case TypeSetChunkSize:
		if len(m.Payload) < 4 {
			return fmt.Errorf("%w: short set-chunk-size message", ErrBadChunkSize)
		}
		return r.SetChunkSize(binary.BigEndian.Uint32(m.Payload) & 0x7FFFFFFF)
	case TypeAbort:
		if len(m.Payload) < 4 {
			return fmt.Errorf("chunk: short abort message")
		}
		if st := r.streams[binary.BigEndian.Uint32(m.Payload)]; st != nil && st != r.lent && st.buf != nil {
			r.opts.Pool.Put(st.buf)
			st.buf = nil
		}
	}
	return nil
}

func (r *Reader) readBytes(n int) ([]byte, error) {
	b := r.hdr[:n]
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, eof(err)
	}
	return b, nil
}

func eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readChunk reads one chunk and returns the chunk stream it added to.
func (r *Reader) readChunk() (*readState, uint32, error) {
	b0, err := r.br.ReadByte()
	if err != nil {
		return nil, 0, err // a clean EOF between chunks stays io.EOF
	}
	format := b0 >> 6
	csid := uint32(b0 & 0x3f)
	switch csid {
	case 0:
		b, err := r.readBytes(1)
		if err != nil {
			return nil, 0, err
		}
		csid = uint32(b[0]) + 64
	case 1:
		b, err := r.readBytes(2)
		if err != nil {
			return nil, 0, err
		}
		csid = uint32(b[0]) + uint32(b[1])<<8 + 64
	}

	st := r.streams[csid]
	if st == nil {
		if len(r.streams) >= r.opts.MaxChunkStreams {
			return nil, csid, fmt.Errorf("%w: more than %d", ErrTooManyStreams, r.opts.MaxChunkStreams)
		}
		st = new(readState)
		r.streams[csid] = st
	}
	// Release ran before the first chunk of this call, so a buffer still
	// held by a stream is a message in progress.
	inProgress := st.buf != nil
	if format != 3 && inProgress {
		return nil, csid, fmt.Errorf("%w (chunk stream %d, format %d)", ErrInterrupted, csid, format)
	}
	if format != 0 && !st.valid {
		return nil, csid, fmt.Errorf("%w (chunk stream %d, format %d)", ErrNoPreviousHeader, csid, format)
	}

	switch format {
	case 0, 1, 2:
		n := [3]int{11, 7, 3}[format]
		h, err := r.readBytes(n)
		if err != nil {
			return nil, csid, err
		}
		field := uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
		if format <= 1 {
			st.length = uint32(h[3])<<16 | uint32(h[4])<<8 | uint32(h[5])
			st.typ = TypeID(h[6])
		}
		if format == 0 {
			st.streamID = binary.LittleEndian.Uint32(h[7:11])
		}
		st.extended = field == extendedMarker
		if st.extended {
			e, err := r.readBytes(4)
			if err != nil {
				return nil, csid, err
			}
			field = binary.BigEndian.Uint32(e)
		}
		st.field = field
		if format == 0 {
			st.ts = Timestamp(field)
		} else {
			st.ts += Timestamp(field)
		}
		// After format 0 a format 3 header repeats the timestamp field as
		// its delta, as ffmpeg reads it.
		st.delta = field
		st.valid = true
	case 3:
		if st.extended {
			if inProgress {
				// Continuation chunks repeat the extended timestamp; some
				// old peers omit it, so it is consumed only if it is there.
				p, err := r.br.Peek(4)
				if err != nil {
					return nil, csid, eof(err)
				}
				if binary.BigEndian.Uint32(p) == st.field {
					_, _ = r.br.Discard(4)
				}
			} else {
				e, err := r.readBytes(4)
				if err != nil {
					return nil, csid, err
				}
				st.field = binary.BigEndian.Uint32(e)
				st.delta = st.field
			}
		}
		if !inProgress {
			st.ts += Timestamp(st.delta)
		}
	}

	if !inProgress {
		if st.length > uint32(r.opts.MaxMessageSize) {
			return nil, csid, fmt.Errorf("%w: %d bytes > %d", ErrMessageTooLarge, st.length, r.opts.MaxMessageSize)
		}
		// Start small: the buffer grows as chunks arrive, so a peer that
		// announces a large message and sends little costs little.
		st.buf = r.opts.Pool.Get(int(min(st.length, 64<<10)))
	}

	buf := *st.buf
	n := min(st.length-uint32(len(buf)), r.chunkSize)
	need := len(buf) + int(n)
	if need > cap(buf) {
		nb := r.opts.Pool.Get(max(need, 2*cap(buf)))
		*nb = append(*nb, buf...)
		r.opts.Pool.Put(st.buf)
		st.buf = nb
		buf = *nb
	}
	buf = buf[:need]
	if _, err := io.ReadFull(r.br, buf[need-int(n):]); err != nil {
		*st.buf = buf[:need-int(n)]
		return nil, csid, eof(err)
	}
	*st.buf = buf
	return st, csid, nil
}
