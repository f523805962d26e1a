package ingestauth

import "errors"

// Check failures. Every error a Verifier returns wraps exactly one of them.
var (
	// ErrMissing: the signature parameters are absent or unparsable.
	ErrMissing = errors.New("ingestauth: signature parameters missing")
	// ErrExpired: the URL's expiry time has passed.
	ErrExpired = errors.New("ingestauth: URL expired")
	// ErrMismatch: the signature does not match.
	ErrMismatch = errors.New("ingestauth: signature mismatch")
)

// Kingsoft ingest status sub-codes of "5 Authentication Failed"
// (kingsoft-cloud-live.txt, RTMP push status codes).
const (
	SubCodeUnknown = 0 // authentication failed, reason unknown
	SubCodeMissing = 1 // access key or signature missing
	SubCodeExpired = 2 // URL expired
)

// SubCode maps a check failure to its Kingsoft sub-code.
func SubCode(err error) int {
	switch {
	case errors.Is(err, ErrMissing):
		return SubCodeMissing
	case errors.Is(err, ErrExpired):
		return SubCodeExpired
	}
	return SubCodeUnknown
}
