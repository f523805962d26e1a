package rtmp

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/media/rtmp/handshake"
)

var update = flag.Bool("update", false, "rewrite golden files")

// describe decodes a client's byte stream (handshake, then chunks) into one
// line per message.
func describe(t *testing.T, wire []byte) string {
	t.Helper()
	var sb strings.Builder
	hs := 1 + 2*handshake.PacketSize
	if len(wire) < hs {
		t.Fatalf("only %d bytes", len(wire))
	}
	c1, err := handshake.ParseC0C1(wire)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "handshake C0+C1+C2 %d bytes, C1 time %d digest %v\n", hs, c1.Time, c1.Digest())
	r := chunk.NewReader(bytes.NewReader(wire[hs:]), chunk.ReaderOptions{})
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "csid %d sid %d ts %d %v len %d:", m.CSID, m.StreamID, m.Timestamp, m.Type, len(m.Payload))
		switch m.Type {
		case chunk.TypeCommandAMF0, chunk.TypeDataAMF0:
			vs, err := amf0.DecodeAll(m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				fmt.Fprintf(&sb, " %v", v)
			}
		default:
			fmt.Fprintf(&sb, " % x", m.Payload[:min(len(m.Payload), 16)])
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// TestClientPublishGolden pins what the client sends for a publish session:
// handshake, chunk size, connect (with tcUrl, fourCcList), releaseStream,
// FCPublish, createStream, publish with the query, metadata, media, and the
// polite close. Run with -update to rewrite testdata/client_publish.golden.
func TestClientPublishGolden(t *testing.T) {
	rc := &recConn{r: bytes.NewReader(append(handshakeBytes(), serverScript(t)...))}
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://ingest.example:1935/live/cam-0001/1560096712?t=1560096712&k=4f88e741140240e2", ClientConfig{
		Dial:       func(context.Context, string, string) (net.Conn, error) { return rc, nil },
		ChunkSize:  60000,
		FourCCList: []string{"hvc1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	<-c.Done() // the script is over; writes still go to the recorder
	if err := c.WriteMetadata(amf0.ECMAArray{{Key: "width", Value: 640.0}, {Key: "height", Value: 360.0}}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteVideo(0, []byte{0x17, 0, 0, 0, 0, 1, 0x64}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteAudio(0, []byte{0xaf, 0, 0x14, 0x08}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteVideo(66, []byte{0x27, 1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.err = nil // the scripted server's EOF is not this test's subject
	c.mu.Unlock()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := describe(t, rc.out.Bytes())
	path := filepath.Join("testdata", "client_publish.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("client bytes changed; got:\n%s\nwant:\n%s", got, want)
	}
}
