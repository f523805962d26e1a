package ingestauth

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Tencent is Tencent Cloud live push auth: txTime is the Unix expiry in
// hexadecimal and txSecret = MD5(Key + stream + txTime), the MD5 taken over
// txTime exactly as written in the URL.
type Tencent struct {
	Key string
}

// TencentSecret returns txSecret for key, stream and txTime as written.
func TencentSecret(key, stream, txTime string) string {
	sum := md5.Sum([]byte(key + stream + txTime))
	return hex.EncodeToString(sum[:])
}

// Sign returns txSecret and txTime (upper-case hex, as Tencent's console
// writes it) for stream, valid until expiry.
func (a Tencent) Sign(stream string, expiry time.Time) url.Values {
	tx := strings.ToUpper(strconv.FormatInt(expiry.Unix(), 16))
	return url.Values{"txSecret": {TencentSecret(a.Key, stream, tx)}, "txTime": {tx}}
}

// Verify checks txSecret and txTime; the secret compares case-insensitively.
func (a Tencent) Verify(stream string, q url.Values, now time.Time) error {
	secret, tx := q.Get("txSecret"), q.Get("txTime")
	if secret == "" || tx == "" {
		return fmt.Errorf("%w: need txSecret and txTime", ErrMissing)
	}
	exp, err := strconv.ParseInt(tx, 16, 64)
	if err != nil {
		return fmt.Errorf("%w: txTime=%q is not a hex Unix time", ErrMissing, tx)
	}
	if now.Unix() > exp {
		return fmt.Errorf("%w: txTime=%s is %v before now", ErrExpired, tx, now.Sub(time.Unix(exp, 0)))
	}
	want := TencentSecret(a.Key, stream, tx)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(secret))) != 1 {
		return ErrMismatch
	}
	return nil
}
