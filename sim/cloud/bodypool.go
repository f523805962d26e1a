package cloud

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// bodyPool recycles slice-body buffers for the formats verified whole
// (slicestream.go verifies TS as it arrives): a fleet uploads a few hundred KB per
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
	n, e := sliceLength(r, max)
	if e != nil {
		return nil, e
	}
	body := bp.get(int(n))
	if _, err := io.ReadFull(r.Body, body); err != nil {
		bp.put(body)
		return nil, bodyFailed(n, err)
	}
	return body, nil
}

// sliceLength checks a slice upload's declared length (required) against
// max: 411 without one, 413 over max.
func sliceLength(r *http.Request, max int64) (int64, *apiError) {
	n := r.ContentLength
	if n < 0 {
		return n, &apiError{code: cloudapi.CodeBadRequest, msg: "Content-Length required", status: http.StatusLengthRequired}
	}
	if n > max {
		return n, &apiError{code: cloudapi.CodeTooLarge, msg: fmt.Sprintf("body of %d bytes exceeds %d", n, max)}
	}
	return n, nil
}

// bodyFailed is the answer to a slice body of n declared bytes that did not
// arrive (the client gave up, the link broke, the read timed out): a
// transport failure, not a refusal — retryable (408), and its frames keep
// no fate from the cloud.
func bodyFailed(n int64, err error) *apiError {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = fmt.Errorf("body ended after fewer than the %d bytes declared: %w", n, err)
	}
	return &apiError{code: cloudapi.CodeUnavailable, msg: "body: " + err.Error(), status: http.StatusRequestTimeout}
}
