package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/media/rtmp"
)

// Publish statuses beyond the ingest document's (which media/rtmp
// defines as rtmp.IngestCode): an injected fault, and a stream name the
// ingest cannot take.
var (
	IngestUnavailable   = rtmp.IngestCode{Code: 6, SubCode: 0}
	IngestBadStreamName = rtmp.IngestCode{Code: 7, SubCode: 0}
)

// authStatus maps a verifier's error to its ingest status.
func authStatus(err error) rtmp.IngestCode {
	switch {
	case err == nil:
		return rtmp.IngestSuccess
	case errors.Is(err, ingestauth.ErrMissing):
		return rtmp.IngestAuthMissing
	case errors.Is(err, ingestauth.ErrExpired):
		return rtmp.IngestURLExpired
	}
	return rtmp.IngestAuthFailed
}

// verifier builds the ingest's auth check.
func (c *Cloud) verifier() ingestauth.Verifier {
	switch c.cfg.Auth.Kind {
	case AuthKingsoft:
		return ingestauth.Kingsoft{Key: c.cfg.Auth.Key}
	case AuthTencent:
		return ingestauth.Tencent{Key: c.cfg.Auth.Key}
	case AuthToken:
		if c.cfg.Auth.URL == "self" {
			return ingestauth.Token{Check: c.checkOwnToken}
		}
		cb := &tokenCallback{url: c.cfg.Auth.URL, client: &http.Client{Timeout: 5 * time.Second}, ctx: c.ctx}
		return ingestauth.Token{Check: cb.check}
	}
	return nil
}

func (c *Cloud) checkOwnToken(stream, token string, _ time.Time) error {
	switch c.tokens.check(token, stream) {
	case tokenOK:
		return nil
	case tokenExpired:
		return ingestauth.ErrExpired
	}
	return ingestauth.ErrMismatch
}

// tokenCallback asks an HTTP auth server about a token: POST of
// {"stream","token","app"} as JSON; 200 accepts, 403 with code "expired"
// is an expired URL, anything else refuses (API.md, publish auth).
type tokenCallback struct {
	url    string
	client *http.Client
	ctx    context.Context
}

func (t *tokenCallback) check(stream, token string, _ time.Time) error {
	body, _ := json.Marshal(PublishAuthRequest{Stream: stream, Token: token})
	req, err := http.NewRequestWithContext(t.ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("token callback: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var eb struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(data, &eb) == nil && eb.Code == "expired" {
		return ingestauth.ErrExpired
	}
	return fmt.Errorf("token callback: HTTP %d", resp.StatusCode)
}

// SignedPublishURL is a publish URL for app/stream that passes the ingest's
// auth, valid until expiry (token auth: a token from the token server).
func (c *Cloud) SignedPublishURL(app, stream string, expiry time.Time) string {
	u := c.PublishURL(app, stream)
	var q url.Values
	switch c.cfg.Auth.Kind {
	case AuthKingsoft:
		q = ingestauth.Kingsoft{Key: c.cfg.Auth.Key}.Sign(stream, expiry)
	case AuthTencent:
		q = ingestauth.Tencent{Key: c.cfg.Auth.Key}.Sign(stream, expiry)
	case AuthToken:
		tok, _ := c.tokens.issue(stream)
		q = url.Values{"token": {tok}}
	default:
		return u
	}
	return u + "?" + q.Encode()
}
