package rtmp

import (
	"bytes"
	"context"
	"errors"
	"io"
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

// kingsoftScript answers like the Kingsoft document: connect and publish
// get a _result with {code, subCode, description}.
func kingsoftScript(tb testing.TB, connect, publish IngestCode) []byte {
	var b bytes.Buffer
	w := chunk.NewWriter(&b)
	obj := func(c IngestCode) amf0.Object {
		return amf0.Object{{Key: "code", Value: float64(c.Code)}, {Key: "subCode", Value: float64(c.SubCode)}, {Key: "description", Value: c.Description()}}
	}
	cmds := []struct {
		sid uint32
		cmd Command
	}{
		{0, Command{Name: CmdResult, TxID: 1, Args: []any{obj(connect)}}},
		{0, Command{Name: CmdResult, TxID: 2}}, // releaseStream
		{0, Command{Name: CmdResult, TxID: 4, Args: []any{1.0}}},
		{1, Command{Name: CmdResult, TxID: 5, Args: []any{obj(publish)}}},
	}
	for _, c := range cmds {
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

// TestKingsoftResultStatuses: refusals carried in _result objects (the
// Kingsoft ingest document's shape) fail the right stage with the code.
func TestKingsoftResultStatuses(t *testing.T) {
	tests := []struct {
		name             string
		connect, publish IngestCode
		stage            Stage
	}{
		{"success", IngestSuccess, IngestSuccess, StageSuccess},
		{"non-existent app at connect", IngestNonExistApp, IngestSuccess, StageConnect},
		{"stream exists at publish", IngestSuccess, IngestStreamExists, StagePublish},
		{"url expired at publish", IngestSuccess, IngestURLExpired, StagePublish},
		{"signature missing at publish", IngestSuccess, IngestAuthMissing, StagePublish},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			c, err := Dial(ctx, "rtmp://h/live/s?t=1&k=2", ClientConfig{Dial: scriptedDial(kingsoftScript(t, tc.connect, tc.publish))})
			if err == nil {
				err = c.Publish(ctx)
				defer c.Close()
			}
			if StageOf(err) != tc.stage {
				t.Fatalf("stage %v (%v), want %v", StageOf(err), err, tc.stage)
			}
			if err == nil {
				return
			}
			var e *Error
			want := tc.publish
			if tc.stage == StageConnect {
				want = tc.connect
			}
			if !errors.As(err, &e) || e.Status == nil || e.Status.Ingest == nil || *e.Status.Ingest != want {
				t.Errorf("status %+v, want ingest %v", e.Status, want)
			}
		})
	}
}

// TestPlayKeepsEarlyMedia: media a server sends before NetStream.Play.Start
// (an aggregate and a plain message) reach ReadMessage first, in order.
func TestPlayKeepsEarlyMedia(t *testing.T) {
	var b bytes.Buffer
	w := chunk.NewWriter(&b)
	ok := &Status{Level: LevelStatus, Code: CodeConnectSuccess}
	start := &Status{Level: LevelStatus, Code: CodePlayStart}
	stop := &Status{Level: LevelStatus, Code: CodePlayStop}
	agg, err := AppendAggregate(nil, []Message{{Type: chunk.TypeVideo, Timestamp: 0, Payload: []byte{0x17, 0, 1}}, {Type: chunk.TypeAudio, Timestamp: 0, Payload: []byte{0xaf, 0, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []Message
	for _, c := range []struct {
		sid uint32
		cmd Command
	}{
		{0, Command{Name: CmdResult, TxID: 1, Args: []any{ok.Object()}}},
		{0, Command{Name: CmdResult, TxID: 2, Args: []any{1.0}}},
	} {
		m, err := c.cmd.Message(c.sid)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	msgs = append(msgs,
		Message{CSID: CSIDVideo, Type: chunk.TypeAggregate, StreamID: 1, Payload: agg},
		Message{CSID: CSIDVideo, Type: chunk.TypeVideo, StreamID: 1, Timestamp: 40, Payload: []byte{0x27, 1, 3}})
	for _, st := range []*Status{start, stop} {
		cmd := Command{Name: CmdOnStatus, Args: []any{st.Object()}}
		m, _ := cmd.Message(1)
		msgs = append(msgs, m)
		if st == start {
			msgs = append(msgs, Message{CSID: CSIDVideo, Type: chunk.TypeVideo, StreamID: 1, Timestamp: 80, Payload: []byte{0x27, 1, 4}})
		}
	}
	for i := range msgs {
		if err := w.Append(&msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://h/live/s", ClientConfig{Dial: scriptedDial(b.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Play(ctx); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for {
		m, err := c.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Payload[2])
	}
	if !bytes.Equal(got, []byte{1, 2, 3, 4}) {
		t.Errorf("read %v, want [1 2 3 4]", got)
	}
}
