package flv

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// HeaderSize is the size of the FLV file header (without PreviousTagSize0).
const HeaderSize = 9

// Header is the FLV file header.
type Header struct {
	Audio, Video bool
}

// AppendHeader appends the 9-byte file header and PreviousTagSize0.
func AppendHeader(dst []byte, h Header) []byte {
	var flags byte
	if h.Audio {
		flags |= 0x04
	}
	if h.Video {
		flags |= 0x01
	}
	dst = append(dst, 'F', 'L', 'V', 1, flags, 0, 0, 0, HeaderSize)
	return append(dst, 0, 0, 0, 0)
}

// AppendTag appends one file tag: the 11-byte tag header (type, DataSize,
// timestamp in milliseconds with its extension byte, StreamID 0), the body
// and the PreviousTagSize that follows it.
func AppendTag(dst []byte, typ TagType, ts time.Duration, body []byte) ([]byte, error) {
	if len(body) > MaxTagSize {
		return dst, fmt.Errorf("%w: tag body of %d bytes exceeds %d", ErrMalformed, len(body), MaxTagSize)
	}
	ms := Milliseconds(ts)
	dst = append(dst, byte(typ))
	dst = appendU24(dst, uint32(len(body)))
	dst = appendU24(dst, ms&0xFFFFFF)
	dst = append(dst, byte(ms>>24), 0, 0, 0)
	dst = append(dst, body...)
	return appendU32(dst, uint32(TagHeaderSize+len(body))), nil
}

// Writer writes an FLV file.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter writes the file header to w and returns a Writer for the tags.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	fw := &Writer{w: w, buf: make([]byte, 0, 4096)}
	fw.buf = AppendHeader(fw.buf[:0], h)
	if _, err := w.Write(fw.buf); err != nil {
		return nil, err
	}
	return fw, nil
}

// WriteTag writes one tag with one Write call on the underlying writer.
func (w *Writer) WriteTag(typ TagType, ts time.Duration, body []byte) error {
	var err error
	w.buf, err = AppendTag(w.buf[:0], typ, ts, body)
	if err != nil {
		return err
	}
	_, err = w.w.Write(w.buf)
	return err
}

// Tag is one tag read from a file. Body is valid until the next call to
// Reader.Next.
type Tag struct {
	Type      TagType
	Timestamp time.Duration
	Filtered  bool // the encryption/filter bit; Body is then not plain media
	Body      []byte
}

// Reader reads an FLV file tag by tag. It keeps one body buffer, grown to
// the largest tag read so far, never beyond MaxTagSize; a tag whose body is
// truncated costs no more memory than the bytes actually present plus one
// read chunk.
type Reader struct {
	r      io.Reader
	Header Header
	hdr    [TagHeaderSize]byte
	buf    []byte
}

// readChunk is how far the Reader grows its buffer ahead of the data it has
// actually received, so a lying DataSize cannot force a large allocation.
const readChunk = 64 << 10

// NewReader reads the file header and PreviousTagSize0.
func NewReader(r io.Reader) (*Reader, error) {
	fr := &Reader{r: r}
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("%w: file header: %v", ErrTruncated, err)
	}
	if h[0] != 'F' || h[1] != 'L' || h[2] != 'V' {
		return nil, fmt.Errorf("%w: not an FLV file (signature %q)", ErrMalformed, h[:3])
	}
	if h[3] != 1 {
		return nil, fmt.Errorf("%w: FLV version %d", ErrUnsupported, h[3])
	}
	fr.Header = Header{Audio: h[4]&0x04 != 0, Video: h[4]&0x01 != 0}
	off := u32(h[5:9])
	if off < HeaderSize {
		return nil, fmt.Errorf("%w: data offset %d", ErrMalformed, off)
	}
	if extra := int64(off - HeaderSize); extra > 0 {
		// Skip header extension bytes: read and discarded, never buffered.
		if n, err := io.CopyN(io.Discard, r, extra); err != nil || n != extra {
			return nil, fmt.Errorf("%w: file header extension", ErrTruncated)
		}
	}
	var p [4]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return nil, fmt.Errorf("%w: PreviousTagSize0", ErrTruncated)
	}
	if u32(p[:]) != 0 {
		return nil, fmt.Errorf("%w: PreviousTagSize0 is %d", ErrMalformed, u32(p[:]))
	}
	return fr, nil
}

// Next reads the next tag. It returns io.EOF at a clean end of file and an
// error wrapping ErrTruncated when the file stops inside a tag.
func (fr *Reader) Next() (Tag, error) {
	n, err := io.ReadFull(fr.r, fr.hdr[:])
	if err == io.EOF {
		return Tag{}, io.EOF
	}
	if err != nil {
		return Tag{}, fmt.Errorf("%w: tag header (%d of %d bytes)", ErrTruncated, n, TagHeaderSize)
	}
	h := fr.hdr[:]
	t := Tag{
		Type:      TagType(h[0] & 0x1F),
		Filtered:  h[0]&0x20 != 0,
		Timestamp: time.Duration(u24(h[4:7])|uint32(h[7])<<24) * time.Millisecond,
	}
	if h[0]&0xC0 != 0 {
		return Tag{}, fmt.Errorf("%w: reserved tag bits set (0x%02x)", ErrMalformed, h[0])
	}
	size := int(u24(h[1:4]))
	if err := fr.readBody(size); err != nil {
		return Tag{}, err
	}
	var p [4]byte
	if _, err := io.ReadFull(fr.r, p[:]); err != nil {
		return Tag{}, fmt.Errorf("%w: PreviousTagSize", ErrTruncated)
	}
	if got := u32(p[:]); got != uint32(TagHeaderSize+size) {
		return Tag{}, fmt.Errorf("%w: PreviousTagSize %d, want %d", ErrMalformed, got, TagHeaderSize+size)
	}
	t.Body = fr.buf[:size]
	return t, nil
}

// readBody reads size bytes into fr.buf, growing it no faster than data
// arrives.
func (fr *Reader) readBody(size int) error {
	if cap(fr.buf) >= size {
		fr.buf = fr.buf[:size]
		if _, err := io.ReadFull(fr.r, fr.buf); err != nil {
			return fmt.Errorf("%w: tag body of %d bytes", ErrTruncated, size)
		}
		return nil
	}
	fr.buf = fr.buf[:0]
	for len(fr.buf) < size {
		step := min(size-len(fr.buf), readChunk)
		fr.buf = grow(fr.buf, step)
		start := len(fr.buf)
		fr.buf = fr.buf[:start+step]
		if _, err := io.ReadFull(fr.r, fr.buf[start:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: tag body of %d bytes", ErrTruncated, size)
			}
			return err
		}
	}
	return nil
}
