package rtmp

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/fleetsim/fleetsim/media/amf0"
)

// stallingRecorder is a recorder whose OnMessage waits while stall is
// open: the server stops reading and the client's socket fills up.
type stallingRecorder struct {
	*recorder
	stall chan struct{}
}

func (s *stallingRecorder) OnMessage(c *ServerConn, m *Message) error {
	<-s.stall
	return s.recorder.OnMessage(c, m)
}

// TestTryFlushPublish: a publisher writing with TryFlush (and Flush for
// what a full socket left) delivers the same messages in the same order
// as the Write methods; on a socket with room every TryFlush writes all;
// with the server not reading, TryFlush comes back without blocking and
// leaves the rest buffered for Flush; a transport that is no socket takes
// nothing through TryFlush.
func TestTryFlushPublish(t *testing.T) {
	rec := &stallingRecorder{recorder: newRecorder(), stall: make(chan struct{})}
	_, addr := startServer(t, rec, ServerConfig{ChunkSize: 60000})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/cam-0001", ClientConfig{ChunkSize: 60000})
	if err != nil {
		t.Fatal(err)
	}
	if !c.CanTryFlush() {
		t.Fatal("a TCP connection cannot TryFlush")
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	// the server reads the publish but no media yet: fill the socket
	script := bufferedScript()
	md := SetDataFrame(amf0.ECMAArray{{Key: "videocodecid", Value: 7.0}})
	sent := 0
	left := false // a TryFlush left bytes: the socket is full
	for round := 0; !left && round < 400; round++ {
		for _, s := range script {
			switch {
			case s.data:
				err = c.BufferData(0, md)
			case s.video:
				err = c.BufferVideo(s.ts+Timestamp(round*2000), s.payload)
			default:
				err = c.BufferAudio(s.ts+Timestamp(round*2000), s.payload)
			}
			if err != nil {
				t.Fatal(err)
			}
			sent++
			if !s.flushAfter {
				continue
			}
			done, err := c.TryFlush()
			if err != nil {
				t.Fatal(err)
			}
			if !done {
				if c.Buffered() == 0 {
					t.Fatal("TryFlush not done with nothing buffered")
				}
				left = true
				break
			}
			if c.Buffered() != 0 {
				t.Fatalf("TryFlush done with %d bytes buffered", c.Buffered())
			}
		}
	}
	if !left {
		t.Fatal("the socket never filled up")
	}
	close(rec.stall)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec.closedCh
	rec.mu.Lock()
	msgs := rec.msgs
	rec.mu.Unlock()
	if len(msgs) != sent {
		t.Fatalf("server received %d messages, %d sent", len(msgs), sent)
	}
	for i := range msgs {
		s := script[i%len(script)]
		round := Timestamp(i / len(script) * 2000)
		if s.data {
			continue
		}
		if g := msgs[i]; g.Timestamp != s.ts+round || !bytes.Equal(g.Payload, s.payload) {
			t.Fatalf("message %d: ts %d len %d, want ts %d len %d", i, g.Timestamp, len(g.Payload), s.ts+round, len(s.payload))
		}
	}

	// no socket: TryFlush writes nothing, Flush does
	rec2 := newRecorder()
	_, addr2 := startServer(t, rec2, ServerConfig{})
	var tap *tapConn
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, address)
		tap = &tapConn{Conn: nc, on: true}
		return tap, err
	}
	c2, err := Dial(ctx, "rtmp://"+addr2+"/live/cam-0002", ClientConfig{Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if c2.CanTryFlush() {
		t.Error("a wrapped transport claims TryFlush")
	}
	if err := c2.BufferAudio(0, []byte{0xaf, 1, 2}); err != nil {
		t.Fatal(err)
	}
	w0, _ := tap.record()
	if done, err := c2.TryFlush(); done || err != nil || c2.Buffered() == 0 {
		t.Errorf("TryFlush without a socket: done %v err %v buffered %d", done, err, c2.Buffered())
	}
	if w1, _ := tap.record(); w1 != w0 {
		t.Error("TryFlush wrote through a wrapped transport")
	}
	if err := c2.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec2.closedCh
}

// TestTryFlushAfterClose: TryFlush on a closed connection is an error
// and the connection stays failed.
func TestTryFlushAfterClose(t *testing.T) {
	rec := newRecorder()
	_, addr := startServer(t, rec, ServerConfig{})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/cam-0001", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.nc.Close()
	if err := c.BufferAudio(0, []byte{0xaf, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if done, err := c.TryFlush(); done || err == nil {
		t.Fatalf("TryFlush on a closed socket: done %v err %v", done, err)
	}
	if err := c.Flush(); err == nil {
		t.Error("Flush after a failed TryFlush succeeded")
	}
	_ = c.Close()
	<-rec.closedCh
}
