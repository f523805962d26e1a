package ingestauth

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

// FuzzVerify: any stream name and query from a push URL gets nil or an
// error wrapping exactly one of the check failures, never a panic.
func FuzzVerify(f *testing.F) {
	for _, v := range authVectors {
		f.Add(v.stream, v.query, v.now.Unix())
	}
	f.Fuzz(func(t *testing.T, stream, query string, now int64) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		at := time.Unix(now, 0)
		for _, v := range []Verifier{Kingsoft{Key: "123456"}, Tencent{Key: "k"}, Token{Check: okToken}} {
			err := v.Verify(stream, q, at)
			if err == nil {
				continue
			}
			n := 0
			for _, e := range []error{ErrMissing, ErrExpired, ErrMismatch} {
				if errors.Is(err, e) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%T: %v wraps %d check failures", v, err, n)
			}
		}
	})
}
