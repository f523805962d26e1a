package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// chunkContent produces its bytes in small reads, as a muxer on demand
// does, and may fail after fail bytes.
type chunkContent struct {
	data []byte
	fail int // < 0: never
}

func (c chunkContent) Size() int64     { return int64(len(c.data)) }
func (c chunkContent) Open() io.Reader { return &chunkReader{c: c} }

type chunkReader struct {
	c   chunkContent
	off int
}

var errMux = errors.New("mux failed")

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.c.fail >= 0 && r.off >= r.c.fail {
		return 0, errMux
	}
	if r.off == len(r.c.data) {
		return 0, io.EOF
	}
	end := min(len(r.c.data), r.off+len(p), r.off+100)
	if r.c.fail >= 0 {
		end = min(end, r.c.fail)
	}
	n := copy(p, r.c.data[r.off:end])
	r.off += n
	return n, nil
}

// TestUploadSliceStreamed: a Content body goes out with its Content-Length
// (not chunked) and the same bytes as a Body; a failing Content is an error
// of the call, never a stored slice.
func TestUploadSliceStreamed(t *testing.T) {
	type got struct {
		length   int64
		encoding []string
		body     []byte
		err      error
	}
	var mu sync.Mutex
	var reqs []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, got{r.ContentLength, r.TransferEncoding, b, err})
		mu.Unlock()
		if err != nil {
			return
		}
		w.Header().Set("Content-Type", ContentJSON)
		_, _ = w.Write([]byte(`{"stored":true,"frames":3}`))
	}))
	defer srv.Close()
	// the test server's own client, and a Dial whose connections have no
	// ReadFrom (as a simulated link's): the client's copyConn writes them
	clients := map[string]Options{
		"http-client": {HTTPClient: srv.Client()},
		"dial": {Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Listener.Addr().String())
			return linkConn{c}, err
		}},
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	base := cloudapi.SliceUpload{Device: "d1", Channel: 0, Seq: 1, Format: cloudapi.FormatTS,
		UTCStart: time.Unix(1000, 0).UTC(), UTCEnd: time.Unix(1010, 0).UTC(), FrameSeqFirst: 0, FrameSeqLast: 2}
	cases := []struct {
		name    string
		body    []byte
		content cloudapi.Content
		wantErr bool
	}{
		{"body", data, nil, false},
		{"content", nil, chunkContent{data: data, fail: -1}, false},
		{"empty content", nil, chunkContent{data: nil, fail: -1}, false},
		{"content failing", nil, chunkContent{data: data, fail: 30000}, true},
	}
	for cname, o := range clients {
		c, err := New(srv.URL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseIdle()
		for _, tc := range cases {
			t.Run(cname+"/"+tc.name, func(t *testing.T) {
				mu.Lock()
				reqs = nil
				mu.Unlock()
				s := base
				s.Body, s.Content = tc.body, tc.content
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				rc, err := c.UploadSlice(ctx, s)
				if tc.wantErr {
					if err == nil || rc.Stored {
						t.Fatalf("receipt %+v, error %v: want a failed call", rc, err)
					}
					return
				}
				if err != nil || !rc.Stored {
					t.Fatalf("receipt %+v, error %v", rc, err)
				}
				mu.Lock()
				defer mu.Unlock()
				// (a failed request of an earlier case may arrive late)
				var ok []got
				for _, r := range reqs {
					if r.err == nil {
						ok = append(ok, r)
					}
				}
				if len(ok) != 1 {
					t.Fatalf("%d requests", len(ok))
				}
				r := ok[0]
				want := s.BodySize()
				if r.length != want || len(r.encoding) != 0 || int64(len(r.body)) != want || !bytes.Equal(r.body, data[:want]) {
					t.Fatalf("server got Content-Length %d, encoding %v, %d bytes; want %d identical", r.length, r.encoding, len(r.body), want)
				}
			})
		}
	}
}

// linkConn is a connection without ReadFrom.
type linkConn struct{ net.Conn }

// sinkConn is a connection that keeps what is written to it.
type sinkConn struct {
	net.Conn
	got *bytes.Buffer
}

func (c sinkConn) Write(p []byte) (int, error) { return c.got.Write(p) }

// copyConn's ReadFrom writes exactly what it reads, in pieces of its
// pooled buffer, and allocates nothing once the pool is warm (io.Copy to a
// connection without ReadFrom allocates up to 32 KiB per request body).
func TestCopyConnReadFrom(t *testing.T) {
	data := make([]byte, 700<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var got bytes.Buffer
	got.Grow(len(data))
	c := copyConn{sinkConn{got: &got}}
	r := bytes.NewReader(data)
	lr := &io.LimitedReader{R: r, N: int64(len(data))}
	n, err := c.ReadFrom(lr)
	if err != nil || n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("ReadFrom: %d bytes, err %v, same bytes %v", n, err, bytes.Equal(got.Bytes(), data))
	}
	allocs := testing.AllocsPerRun(5, func() {
		got.Reset()
		r.Reset(data)
		lr.N = int64(len(data))
		_, _ = c.ReadFrom(lr)
	})
	if allocs != 0 && !raceEnabled {
		t.Fatalf("%v allocations per body", allocs)
	}
}
