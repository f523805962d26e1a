package ingestauth

import (
	"fmt"
	"net/url"
	"time"
)

// Token is external auth: the URL carries ?token=<opaque string> and the
// ingest asks a callback (Kingsoft POSTs it to the customer's auth server).
// Check returns nil to accept; any error it returns is wrapped in
// ErrMismatch unless it already wraps ErrExpired or ErrMissing.
type Token struct {
	Check func(stream, token string, now time.Time) error
}

// Verify passes the token to Check.
func (a Token) Verify(stream string, q url.Values, now time.Time) error {
	tok := q.Get("token")
	if tok == "" {
		return fmt.Errorf("%w: need token", ErrMissing)
	}
	if a.Check == nil {
		return fmt.Errorf("%w: no token checker configured", ErrMismatch)
	}
	if err := a.Check(stream, tok, now); err != nil {
		if SubCode(err) != SubCodeUnknown {
			return err
		}
		return fmt.Errorf("%w: %w", ErrMismatch, err)
	}
	return nil
}
