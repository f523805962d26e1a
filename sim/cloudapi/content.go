package cloudapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Content is a body produced on demand instead of held whole: a camera
// keeps a slice's frames, and its container (TS, fMP4) is muxed from them
// into the reader's buffer as the upload reads it. Every reader from Open
// gives the identical Size bytes from the first one, so an upload, its
// retries, a backfill and a dump each open their own. Implementations are
// safe for concurrent use (Open from several goroutines; one reader per
// goroutine).
type Content interface {
	// Size is the exact number of bytes every reader gives.
	Size() int64
	// Open returns a new reader of the body from its first byte. A reader
	// may fail (an error other than io.EOF) when the content cannot be
	// produced any more; it never gives more or other bytes than Size. A
	// reader that is an io.Closer holds what it reads from until it is
	// closed: close it when done (a request body's transport does).
	Open() io.Reader
}

// BodySize is the size of the slice's body, Body or Content.
func (s SliceUpload) BodySize() int64 {
	if s.Content != nil {
		return s.Content.Size()
	}
	return int64(len(s.Body))
}

// OpenBody returns a new reader of the slice's body, Body or Content, from
// its first byte; close it when done if it is an io.Closer (Content.Open).
func (s SliceUpload) OpenBody() io.Reader {
	if s.Content != nil {
		return s.Content.Open()
	}
	return bytes.NewReader(s.Body)
}

// ReadBody returns the whole body: Body itself, or Content read into dst
// (reused when large enough). It fails when the content's reader does or
// when it gives other than Size bytes. For callees that need the bytes
// whole (test clouds, formats verified whole).
func (s SliceUpload) ReadBody(dst []byte) ([]byte, error) {
	if s.Content == nil {
		return s.Body, nil
	}
	n := s.Content.Size()
	if int64(cap(dst)) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	r := s.Content.Open()
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	if _, err := io.ReadFull(r, dst); err != nil {
		return nil, &ContentError{Size: n, Err: err}
	}
	var one [1]byte
	if k, _ := r.Read(one[:]); k > 0 {
		return nil, &ContentError{Size: n, Err: errContentLong}
	}
	return dst, nil
}

var errContentLong = errors.New("more bytes than its size")

// ContentError is a Content whose reader failed or did not give its Size.
type ContentError struct {
	Size int64
	Err  error
}

func (e *ContentError) Error() string {
	return fmt.Sprintf("cloudapi: content of %d bytes: %v", e.Size, e.Err)
}

func (e *ContentError) Unwrap() error { return e.Err }
