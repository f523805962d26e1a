package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestOnDialCountsConnections: OnDial is called once per connection the
// client dials — not per request on a keep-alive connection — with a
// link's Dial or the default dialer, and for a dial that fails too, with
// the dial's error.
func TestOnDialCountsConnections(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentJSON)
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	var nd net.Dialer
	errDial := errors.New("refused by the test")
	for _, tc := range []struct {
		name string
		dial DialFunc
		// requests, then CloseIdle, then requests again
		before, after int
		wantDials     int64
		wantErr       bool // requests and dials fail
	}{
		{"link dial, keep-alive", nd.DialContext, 3, 0, 1, false},
		{"link dial, reconnect after idle close", nd.DialContext, 2, 2, 2, false},
		{"default dialer", nil, 3, 1, 2, false},
		{"failing dial", func(context.Context, string, string) (net.Conn, error) { return nil, errDial }, 3, 0, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dials, failed atomic.Int64
			c, err := New(srv.URL, Options{Dial: tc.dial, OnDial: func() { dials.Add(1) },
				OnDialFailed: func(error) { failed.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdle()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			call := func() {
				err := c.DestroyResources(ctx, "cam-1")
				if (err != nil) != tc.wantErr {
					t.Fatalf("request: err %v, want an error: %v", err, tc.wantErr)
				}
			}
			for range tc.before {
				call()
			}
			c.CloseIdle()
			for range tc.after {
				call()
			}
			if got := dials.Load(); got != tc.wantDials {
				t.Fatalf("%d dials counted, want %d", got, tc.wantDials)
			}
			wantFailed := int64(0)
			if tc.wantErr {
				wantFailed = tc.wantDials
			}
			if got := failed.Load(); got != wantFailed {
				t.Fatalf("%d failed dials reported, want %d", got, wantFailed)
			}
		})
	}
}
