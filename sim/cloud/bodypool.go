package cloud

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// bodyPool recycles slice-body buffers: a fleet uploads a few hundred KB per
// camera every ten seconds, and reading each into a fresh slice made most of
// the cloud's allocations. Nothing keeps a body after storeSlice returns
// (parsers must not retain it; the index keeps only the size).
type bodyPool struct{ p sync.Pool }

// bodyGrain rounds buffer capacities so that slices of similar size share.
const bodyGrain = 64 << 10

func (bp *bodyPool) get(n int) []byte {
	if v, ok := bp.p.Get().(*[]byte); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	return make([]byte, n, (n+bodyGrain-1)/bodyGrain*bodyGrain)
}

func (bp *bodyPool) put(b []byte) {
	b = b[:0]
	bp.p.Put(&b)
}

// readSliceBody reads a slice body of a declared length (required) of at
// most max bytes into a pooled buffer; the caller puts it back.
func (bp *bodyPool) readSliceBody(r *http.Request, max int64) ([]byte, *apiError) {
	n := r.ContentLength
	if n < 0 {
		return nil, &apiError{code: cloudapi.CodeBadRequest, msg: "Content-Length required", status: http.StatusLengthRequired}
	}
	if n > max {
		return nil, &apiError{code: cloudapi.CodeTooLarge, msg: fmt.Sprintf("body of %d bytes exceeds %d", n, max)}
	}
	body := bp.get(int(n))
	if _, err := io.ReadFull(r.Body, body); err != nil {
		bp.put(body)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("body ended after fewer than the %d bytes declared: %w", n, err)
		}
		// the body did not arrive (the client gave up, the link broke, the
		// read timed out): a transport failure, not a refusal — retryable
		return nil, &apiError{code: cloudapi.CodeUnavailable, msg: "body: " + err.Error(), status: http.StatusRequestTimeout}
	}
	return body, nil
}
