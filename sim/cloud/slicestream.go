package cloud

import (
	"context"
	"io"
	"net/http"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// SliceStreamParser is a SliceParser that can also verify a slice as its
// body arrives, holding a bounded buffer instead of the slice. The HTTP
// API uses it for the formats it streams and reads the others whole.
type SliceStreamParser interface {
	SliceParser
	// StreamsFormat reports whether ParseSliceReader reads format.
	StreamsFormat(format cloudapi.Format) bool
	// ParseSliceReader reads r to its end (or to the first error) and
	// puts into *into what ParseSlice would return for the same bytes,
	// reusing the storage of into's slices (the cloud keeps a pool of
	// them, so that a steady stream of uploads allocates no per-slice
	// result). An error of r is returned (wrapped or not) and stops the
	// parse; into is then undefined.
	ParseSliceReader(format cloudapi.Format, r io.Reader, into *SliceInfo) error
}

// sliceBody reads a request body of a declared length and tells a body
// that did not arrive whole (the transport's failure) from what the
// parser makes of the bytes that did.
type sliceBody struct {
	r    io.Reader
	left int64 // declared bytes not yet read
	n    int64 // declared length
	err  error // the transport's error, or io.ErrUnexpectedEOF when short
	// lw, when the connection has one, is set to the bytes a read wants
	// (never more than the body still owes), so that the reader wakes once
	// per buffer of body rather than once per write of the link
	lw lowWaterer
}

// lowWaterer is a connection with a read low-water mark (memnet.Conn;
// SO_RCVLOWAT).
type lowWaterer interface{ SetReadLowWater(n int) }

// connKey is the request context key of the request's connection.
type connKey struct{}

// lowWaterOf is the low-water mark of the connection of a request's
// context, or nil.
func lowWaterOf(ctx context.Context) lowWaterer {
	lw, _ := ctx.Value(connKey{}).(lowWaterer)
	return lw
}

func (b *sliceBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	if b.lw != nil {
		b.lw.SetReadLowWater(len(p))
	}
	k, err := b.r.Read(p)
	b.left -= int64(k)
	switch {
	case err == io.EOF && b.left > 0:
		b.err = io.ErrUnexpectedEOF
	case err != nil && err != io.EOF:
		b.err = err
	}
	if b.err != nil {
		return k, b.err
	}
	if b.left == 0 {
		return k, io.EOF
	}
	return k, nil
}

// drain reads the rest of the body; the answer to a request is given only
// once its body has arrived whole (as when it is read whole first).
func (b *sliceBody) drain() *apiError {
	if b.err == nil && b.left > 0 {
		_, _ = io.Copy(io.Discard, b)
	}
	return b.failed()
}

// failed is the 408 of a body that did not arrive whole, or nil.
func (b *sliceBody) failed() *apiError {
	if b.err == nil && b.left == 0 {
		return nil
	}
	err := b.err
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return bodyFailed(b.n, err)
}

// storeSliceStream is storeSlice for a body verified as it arrives, with
// the same checks in the same order and the same answers: the stored-before
// check first (by the declared size), then the body is read through the
// parser; a body that does not arrive whole is a 408 with no fate (also
// when its content failed before the break: the rest is read before
// answering), then plan, window, content and delivery as storeSlice.
func (c *Cloud) storeSliceStream(s *cloudapi.SliceUpload, p SliceStreamParser, body io.Reader, n int64, lw lowWaterer) (cloudapi.SliceReceipt, *apiError) {
	b := &sliceBody{r: body, left: n, n: n, lw: lw}
	if lw != nil {
		defer lw.SetReadLowWater(0) // the next request's head is read as it comes
	}
	if rec, ok := c.storedBefore(s, int(n)); ok {
		if e := b.drain(); e != nil {
			return cloudapi.SliceReceipt{}, e
		}
		return rec, nil
	}
	info := c.infos.get()
	defer c.infos.put(info)
	err := p.ParseSliceReader(s.Format, b, info)
	if e := b.drain(); e != nil {
		return cloudapi.SliceReceipt{}, e
	}
	return c.settleSlice(s, int(n), func() (*SliceInfo, error) { return info, err })
}

// sliceStream serves a slice upload whose format the parser streams.
func (h *httpServer) sliceStream(w http.ResponseWriter, r *http.Request, s *cloudapi.SliceUpload, p SliceStreamParser) *apiError {
	n, e := sliceLength(r, h.c.cfg.MaxSliceBytes)
	if e == nil {
		var rec cloudapi.SliceReceipt
		if rec, e = h.c.storeSliceStream(s, p, r.Body, n, lowWaterOf(r.Context())); e == nil {
			writeJSON(w, http.StatusOK, rec)
			return nil
		}
	} else if e.code == cloudapi.CodeTooLarge {
		// refused for good: its frames get their fate here (the device
		// does not retry a refusal of content)
		h.c.rejectSlice(s, e.code)
	}
	h.c.stats.slicesRefused.Add(1)
	return e
}
