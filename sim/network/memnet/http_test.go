package memnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// net/http serves and fetches over memnet, reusing kept-alive connections.
func TestHTTPOverMemnet(t *testing.T) {
	n := New(Options{})
	defer n.Close()
	l, err := n.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := sha256.New()
			io.Copy(h, r.Body)
			w.Header().Set("X-Remote", r.RemoteAddr)
			w.Write(h.Sum(nil))
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	served := goErr(func() error { return srv.Serve(l) })
	tr := &http.Transport{DialContext: n.Dial}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for i := range 20 {
		body := bytes.Repeat([]byte{byte(i)}, i*100<<10) // up to 1.9 MB: more than the buffer
		resp, err := client.Post("http://"+l.Addr().String()+"/upload", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := sha256.Sum256(body)
		if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, want[:]) {
			t.Fatalf("request %d: %d, %v", i, resp.StatusCode, err)
		}
		if ra := resp.Header.Get("X-Remote"); ra == "" {
			t.Fatal("no remote address")
		}
	}
	if c := conns.Load(); c != 1 {
		t.Fatalf("20 sequential requests used %d connections; want 1 (keep-alive)", c)
	}
	srv.Shutdown(context.Background())
	if err := waitErr(t, served); err != http.ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := client.Get("http://" + l.Addr().String() + "/"); err == nil {
		t.Fatal("request after shutdown succeeded")
	}
}
