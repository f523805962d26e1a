package ingestauth

import (
	"net/url"
	"time"
)

// Verifier checks the query of a push URL for stream at time now.
type Verifier interface {
	Verify(stream string, q url.Values, now time.Time) error
}

// Signer produces the query parameters that make a push URL for stream valid
// until expiry.
type Signer interface {
	Sign(stream string, expiry time.Time) url.Values
}
