package cloud

import (
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// tokenStore issues and checks the push tokens of the token server (RP2).
type tokenStore struct {
	clk clock.Clock
	ttl time.Duration
	mu  sync.Mutex
	rnd *rand.Rand
	m   map[string]issued
}

type issued struct {
	device  string
	expires time.Time
}

func newTokenStore(clk clock.Clock, rnd *rand.Rand, ttl time.Duration) *tokenStore {
	return &tokenStore{clk: clk, ttl: ttl, rnd: rnd, m: make(map[string]issued)}
}

// issue returns a fresh token for device and its expiry.
func (s *tokenStore) issue(device string) (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b [16]byte
	for i := 0; i < len(b); i += 8 {
		v := s.rnd.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	tok := hex.EncodeToString(b[:])
	exp := s.clk.Now().Add(s.ttl)
	s.m[tok] = issued{device: device, expires: exp}
	// forget expired tokens now and then so the map stays bounded by
	// the tokens issued within one TTL
	if len(s.m)%1024 == 0 {
		now := s.clk.Now()
		for k, v := range s.m {
			if now.After(v.expires) {
				delete(s.m, k)
			}
		}
	}
	return tok, exp
}

// tokenVerdict is the result of a token check.
type tokenVerdict int

const (
	tokenOK tokenVerdict = iota
	tokenUnknown
	tokenExpired
	tokenWrongStream
)

// check tells whether tok is valid for stream (the device id).
func (s *tokenStore) check(tok, stream string) tokenVerdict {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[tok]
	switch {
	case !ok:
		return tokenUnknown
	case s.clk.Now().After(v.expires):
		return tokenExpired
	case v.device != stream:
		return tokenWrongStream
	}
	return tokenOK
}

// revoke drops every token of a device (resource destroy).
func (s *tokenStore) revoke(device string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if v.device == device {
			delete(s.m, k)
		}
	}
}
