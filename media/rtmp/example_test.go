package rtmp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/fleetsim/fleetsim/media/rtmp"
)

// A camera publishing: Dial (socket, handshake, connect app), Publish, then
// one socket write per frame. Failures carry the RP3 stage code.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rtmp.Dial(ctx, "rtmp://127.0.0.1:1935/live/cam-0001?t=1560096712&k=4f88e741140240e2", rtmp.ClientConfig{
		// Dial: link.DialContext, // a simulated link wraps the net.Conn
		ChunkSize: 60000,
	})
	if err == nil {
		err = c.Publish(ctx)
	}
	var e *rtmp.Error
	if errors.As(err, &e) {
		fmt.Printf("failed at stage 0x%02x (%v), server status %v\n", uint8(e.Stage()), e.Stage(), e.Status)
		return
	}
	defer c.Close()
	var videoTag []byte // an FLV video tag body (media/flv)
	_ = c.WriteVideo(rtmp.TimestampOf(66*time.Millisecond), videoTag)
}

// ingest accepts app "live" only and refuses a second publisher of a name.
type ingest struct {
	rtmp.NopHandler
	live map[string]bool // guarded by the caller in real code
}

func (in *ingest) OnConnect(c *rtmp.ServerConn, req *rtmp.ConnectRequest) error {
	if req.App != "live" {
		return rtmp.IngestNonExistApp // _error NetConnection.Connect.InvalidApp, 2/0
	}
	return nil
}

func (in *ingest) OnPublish(c *rtmp.ServerConn, req *rtmp.StreamRequest) error {
	if in.live[req.Stream] {
		return rtmp.IngestStreamExists // onStatus NetStream.Publish.BadName, 3/0
	}
	in.live[req.Stream] = true
	return nil
}

func (in *ingest) OnMessage(c *rtmp.ServerConn, m *rtmp.Message) error {
	// m.Payload is valid only during this call: parse it or copy it.
	return nil
}

// A server for an ingest: the Handler decides and receives messages.
func ExampleServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := rtmp.NewServer(&ingest{live: map[string]bool{}}, rtmp.ServerConfig{IdleTimeout: 30 * time.Second})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	// ... later: cancel closes the listener and every connection.
	cancel()
	fmt.Println(<-done)
	// Output: <nil>
}
