package rtmp

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// serverScript is what a server sends a publishing client after the
// handshake: control messages, the connect and createStream results and
// NetStream.Publish.Start.
func serverScript(tb testing.TB) []byte {
	var b bytes.Buffer
	w := chunk.NewWriter(&b)
	for _, m := range []Message{WindowAckSizeMessage(2500000), SetPeerBandwidthMessage(2500000, LimitDynamic)} {
		if err := w.Append(&m); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.AppendSetChunkSize(4096); err != nil {
		tb.Fatal(err)
	}
	ok := &Status{Level: LevelStatus, Code: CodeConnectSuccess}
	start := &Status{Level: LevelStatus, Code: CodePublishStart}
	for _, c := range []struct {
		sid uint32
		cmd Command
	}{
		{0, Command{Name: CmdResult, TxID: 1, Object: amf0.Object{{Key: "fmsVer", Value: "FMS/3,5,7,7009"}}, Args: []any{ok.Object()}}},
		{0, Command{Name: CmdOnBWDone, TxID: 0}},
		{0, Command{Name: CmdResult, TxID: 4, Args: []any{1.0}}},
		{1, Command{Name: CmdOnStatus, Args: []any{start.Object()}}},
	} {
		m, err := c.cmd.Message(c.sid)
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.Append(&m); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func scriptedDial(script []byte) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return &scriptConn{r: bytes.NewReader(append(handshakeBytes(), script...))}, nil
	}
}

func TestClientAgainstScript(t *testing.T) {
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://h/live/s", ClientConfig{Dial: scriptedDial(serverScript(t))})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if c.StreamID() != 1 {
		t.Errorf("stream id %d", c.StreamID())
	}
	<-c.Done() // the script ends: the reader sees EOF
	if StageOf(c.Err()) != StageClose {
		t.Errorf("end: %v", c.Err())
	}
	c.Close()
}

// FuzzClientSetup: whatever a server answers, Dial and Publish end with a
// result or an error, never a panic or a hang.
func FuzzClientSetup(f *testing.F) {
	f.Add(serverScript(f))
	f.Add([]byte{})
	f.Add(serverScript(f)[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		c, err := Dial(ctx, "rtmp://h/live/s", ClientConfig{Dial: scriptedDial(b), SetupTimeout: -1, MaxMessageSize: 1 << 16})
		if err != nil {
			if StageOf(err) == StageSuccess {
				t.Fatal("error without a stage")
			}
			return
		}
		if err := c.Publish(ctx); err == nil {
			<-c.Done()
		}
		c.Close()
	})
}
