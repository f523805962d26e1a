package cloud

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// TestRandomBytesThenFFmpeg is evidence 6: 200 connections send random
// bytes to the RTMP ingest — half from the first byte, half after a valid
// handshake, into the chunk layer — and the HTTP API gets garbage too; then
// ffmpeg publishes normally and every one of its frames arrives.
func TestRandomBytesThenFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	c := startCloud(t, Config{RTPAddr: "off", IdleTimeout: 2 * time.Second}, clock.NewReal(), &recorder{})
	rnd := rng.New(7, "garbage")
	payloads := make([][]byte, 200)
	for i := range payloads {
		b := make([]byte, 1+rnd.IntN(64<<10))
		for j := range b {
			b[j] = byte(rnd.Uint32())
		}
		payloads[i] = b
	}
	var wg sync.WaitGroup
	for i, p := range payloads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := c.RTMPAddr()
			if i%4 == 3 {
				addr = c.HTTPAddr()
			}
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if i%2 == 1 && addr == c.RTMPAddr() {
				// a valid simple handshake: C0 C1, read S0 S1 S2, send C2
				c01 := make([]byte, 1537)
				c01[0] = 3
				if _, err := conn.Write(c01); err != nil {
					return
				}
				s := make([]byte, 1+1536*2)
				for n := 0; n < len(s); {
					k, err := conn.Read(s[n:])
					if err != nil {
						return
					}
					n += k
				}
				if _, err := conn.Write(s[1 : 1+1536]); err != nil {
					return
				}
			}
			conn.Write(p)
			// read until the cloud closes (or the deadline)
			buf := make([]byte, 4096)
			for {
				if _, err := conn.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	// a real publisher is unaffected
	out, err := ffmpegPublish(t, "rtmp://"+c.RTMPAddr()+"/live/cam-1", 2)
	if err != nil {
		t.Fatalf("ffmpeg after garbage: %v\n%s", err, out)
	}
	s := c.Snapshot()
	if s.PublishAccepted != 1 || s.RTMPVideoFrames != 30 {
		t.Fatalf("snapshot after garbage %+v", s)
	}
	if st, _ := raw(t, c, "GET", "/v1/health", nil, nil, false); st != 200 {
		t.Fatalf("http health %d after garbage", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Snapshot().OpenConns > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open", c.Snapshot().OpenConns)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
