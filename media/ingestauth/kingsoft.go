package ingestauth

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Kingsoft is Kingsoft Cloud's simple (MD5 anti-leech) push auth:
// t is the Unix expiry in seconds and k the 16 middle hex digits (9th to
// 24th) of MD5(Key + stream + t).
type Kingsoft struct {
	Key string
}

// KingsoftK returns k for key, stream and the decimal expiry t exactly as it
// appears in the URL.
func KingsoftK(key, stream, t string) string {
	sum := md5.Sum([]byte(key + stream + t))
	return hex.EncodeToString(sum[4:12])
}

// Sign returns t and k for stream, valid until expiry.
func (a Kingsoft) Sign(stream string, expiry time.Time) url.Values {
	t := strconv.FormatInt(expiry.Unix(), 10)
	return url.Values{"t": {t}, "k": {KingsoftK(a.Key, stream, t)}}
}

// Verify checks t and k: expired when now is after t, as the ingest does.
func (a Kingsoft) Verify(stream string, q url.Values, now time.Time) error {
	t, k := q.Get("t"), q.Get("k")
	if t == "" || k == "" {
		return fmt.Errorf("%w: need t and k", ErrMissing)
	}
	exp, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: t=%q is not a Unix time", ErrMissing, t)
	}
	if now.Unix() > exp {
		return fmt.Errorf("%w: t=%d is %v before now", ErrExpired, exp, now.Sub(time.Unix(exp, 0)))
	}
	if subtle.ConstantTimeCompare([]byte(KingsoftK(a.Key, stream, t)), []byte(k)) != 1 {
		return ErrMismatch
	}
	return nil
}
