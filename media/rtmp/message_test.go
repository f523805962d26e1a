package rtmp

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/media/rtmp/handshake"
	"github.com/google/go-cmp/cmp"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// commandVector is a command and its AMF0 payload; one table for decode,
// encode and fuzz seeds.
type commandVector struct {
	name string
	cmd  Command
	wire []byte
}

var commandVectors = []commandVector{
	{
		name: "createStream",
		cmd:  Command{Name: "createStream", TxID: 4},
		// string "createStream", number 4, null
		wire: mustHex("02000c63726561746553747265616d" + "004010000000000000" + "05"),
	},
	{
		name: "publish live",
		cmd:  Command{Name: "publish", TxID: 5, Args: []any{"s?t=1", "live"}},
		wire: mustHex("0200077075626c697368" + "004014000000000000" + "05" + "020005733f743d31" + "0200046c697665"),
	},
	{
		name: "connect",
		cmd: Command{Name: "connect", TxID: 1, Object: amf0.Object{
			{Key: "app", Value: "live"}, {Key: "tcUrl", Value: "rtmp://h:1935/live"},
		}},
		wire: mustHex("020007636f6e6e656374" + "003ff0000000000000" + "03" +
			"0003617070" + "0200046c697665" +
			"0005746355726c" + "02001272746d703a2f2f683a313933352f6c697665" + "000009"),
	},
	{
		name: "onStatus publish start",
		cmd: Command{Name: "onStatus", TxID: 0, Args: []any{amf0.Object{
			{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}, {Key: "description", Value: "ok"},
		}}},
		wire: mustHex("0200086f6e537461747573" + "000000000000000000" + "05" + "03" +
			"00056c6576656c" + "020006737461747573" +
			"0004636f6465" + "0200174e657453747265616d2e5075626c6973682e5374617274" +
			"000b6465736372697074696f6e" + "0200026f6b" + "000009"),
	},
	{
		name: "deleteStream",
		cmd:  Command{Name: "deleteStream", TxID: 7, Args: []any{1.0}},
		wire: mustHex("02000c64656c65746553747265616d" + "00401c000000000000" + "05" + "003ff0000000000000"),
	},
}

func TestCommandVectors(t *testing.T) {
	for _, v := range commandVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := v.cmd.Append(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v.wire) {
				t.Errorf("encode\n got % x\nwant % x", got, v.wire)
			}
			dec, err := ParseCommand(&Message{Type: chunk.TypeCommandAMF0, Payload: v.wire})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(v.cmd, dec); d != "" {
				t.Errorf("decode (-want +got):\n%s", d)
			}
			amf3, err := ParseCommand(&Message{Type: chunk.TypeCommandAMF3, Payload: append([]byte{0}, v.wire...)})
			if err != nil || amf3.Name != v.cmd.Name {
				t.Errorf("AMF3-wrapped: %v %v", amf3.Name, err)
			}
		})
	}
	for _, bad := range [][]byte{nil, mustHex("003ff0000000000000"), mustHex("0200")} {
		if _, err := ParseCommand(&Message{Type: chunk.TypeCommandAMF0, Payload: bad}); err == nil {
			t.Errorf("% x parsed", bad)
		}
	}
	if _, err := ParseCommand(&Message{Type: chunk.TypeVideo}); err == nil {
		t.Error("video parsed as a command")
	}
}

func TestStatusRoundTrip(t *testing.T) {
	for _, ic := range []IngestCode{IngestNonExistDomain, IngestNonExistApp, IngestStreamExists, IngestBlacklisted, IngestAuthFailed, IngestAuthMissing, IngestURLExpired} {
		for _, st := range []*Status{ic.ConnectStatus(), ic.PublishStatus(), ic.PlayStatus()} {
			got, ok := StatusFromObject(st.Object())
			if !ok {
				t.Fatal("not an object")
			}
			if d := cmp.Diff(st, got); d != "" {
				t.Errorf("%v: (-want +got):\n%s", ic, d)
			}
			if !got.IsError() {
				t.Errorf("%v: level %s", ic, got.Level)
			}
		}
	}
	// The Kingsoft document's literal _result shape.
	doc := amf0.Object{{Key: "code", Value: 3.0}, {Key: "subCode", Value: 0.0}, {Key: "description", Value: "Already Exist Stream Name"}}
	got, _ := StatusFromObject(doc)
	if got.Ingest == nil || *got.Ingest != IngestStreamExists || !got.IsError() {
		t.Errorf("doc shape: %+v", got)
	}
	ok, _ := StatusFromObject(amf0.Object{{Key: "code", Value: 0.0}, {Key: "subCode", Value: 0.0}, {Key: "description", Value: "Publish Success"}})
	if ok.IsError() || *ok.Ingest != IngestSuccess {
		t.Errorf("doc success: %+v", ok)
	}
}

func TestControlMessages(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		wire string
	}{
		{"set chunk size", SetChunkSizeMessage(60000), "0000ea60"},
		{"abort", AbortMessage(6), "00000006"},
		{"ack", AckMessage(2500000), "002625a0"},
		{"window", WindowAckSizeMessage(2500000), "002625a0"},
		{"peer bandwidth", SetPeerBandwidthMessage(2500000, LimitDynamic), "002625a002"},
		{"stream begin", UserControlMessage(UserControl{Event: EventStreamBegin, Value: 1}), "000000000001"},
		{"ping request", UserControlMessage(UserControl{Event: EventPingRequest, Value: 0x01020304}), "000601020304"},
		{"set buffer length", UserControlMessage(UserControl{Event: EventSetBufferLength, Value: 1, BufferLength: 3000}), "00030000000100000bb8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(tc.m.Payload); got != tc.wire {
				t.Errorf("payload %s, want %s", got, tc.wire)
			}
			if tc.m.CSID != CSIDControl {
				t.Errorf("csid %d", tc.m.CSID)
			}
			switch tc.m.Type {
			case chunk.TypeUserControl:
				u, err := ParseUserControl(&tc.m)
				if err != nil {
					t.Fatal(err)
				}
				if back := UserControlMessage(u); !bytes.Equal(back.Payload, tc.m.Payload) {
					t.Errorf("round trip %+v", u)
				}
			case chunk.TypeSetPeerBandwidth:
				n, l, err := ParseSetPeerBandwidth(&tc.m)
				if err != nil || n != 2500000 || l != LimitDynamic {
					t.Errorf("%d %d %v", n, l, err)
				}
			default:
				if _, err := ParseU32(&tc.m); err != nil {
					t.Error(err)
				}
			}
		})
	}
	if _, err := ParseUserControl(&Message{Payload: []byte{0, 3, 0, 0, 0, 1}}); err == nil {
		t.Error("short set buffer length parsed")
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want URL
		tc   string
		name string
		bad  bool
	}{
		{in: "rtmp://h/live/s", want: URL{Host: "h", Port: 1935, App: "live", Stream: "s"}, tc: "rtmp://h:1935/live", name: "s"},
		{in: "rtmp://10.0.0.1:19350/app/cam/1560096712?txSecret=ab&txTime=5C271099",
			want: URL{Host: "10.0.0.1", Port: 19350, App: "app", Stream: "cam/1560096712", RawQuery: "txSecret=ab&txTime=5C271099"},
			tc:   "rtmp://10.0.0.1:19350/app", name: "cam/1560096712?txSecret=ab&txTime=5C271099"},
		{in: "rtmp://[::1]:1935/a/b", want: URL{Host: "::1", Port: 1935, App: "a", Stream: "b"}, tc: "rtmp://[::1]:1935/a", name: "b"},
		{in: "rtmp://h/app", want: URL{Host: "h", Port: 1935, App: "app"}, tc: "rtmp://h:1935/app", name: ""},
		{in: "rtmps://h/a/b", bad: true},
		{in: "rtmp:///a/b", bad: true},
		{in: "rtmp://h:0/a/b", bad: true},
		{in: "rtmp://h", bad: true},
		{in: "::", bad: true},
	}
	for _, tc := range tests {
		u, err := ParseURL(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q parsed", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if u != tc.want || u.TCURL() != tc.tc || u.StreamName() != tc.name {
			t.Errorf("%q: %+v tc %s name %s", tc.in, u, u.TCURL(), u.StreamName())
		}
	}
	s, q := SplitStreamName("cam?t=1&k=2")
	if s != "cam" || q.Get("k") != "2" {
		t.Errorf("split %s %v", s, q)
	}
}

func TestDataMessages(t *testing.T) {
	md := amf0.ECMAArray{{Key: "width", Value: 640.0}}
	d := SetDataFrame(md)
	m, err := d.Message(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseData(&m)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := back.Metadata()
	if !ok || got.String("width") != "" {
		t.Fatalf("%+v", back)
	}
	if w, _ := got.Number("width"); w != 640 {
		t.Errorf("width %v", w)
	}
	// RP8-style control object as an arbitrary data message.
	rp8 := Data{Name: DataOnMetaData, Args: []any{amf0.Object{{Key: "type", Value: 0.0}, {Key: "tigger_type", Value: 1.0}, {Key: "media_timestamp", Value: amf0.Date{Millis: 1560096712000}}}}}
	m, _ = rp8.Message(1, 500)
	back, err = ParseData(&m)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rp8, back); d != "" {
		t.Error(d)
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, v := range commandVectors {
		f.Add(v.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, err := ParseCommand(&Message{Type: chunk.TypeCommandAMF0, Payload: b})
		if err != nil {
			return
		}
		_ = statusOf(&cmd)
		if _, err := cmd.Append(nil); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		_, _ = ParseData(&Message{Type: chunk.TypeDataAMF0, Payload: b})
	})
}

// scriptConn is a net.Conn whose reads come from a script and whose writes
// are discarded: it drives the server with arbitrary bytes.
type scriptConn struct {
	r *bytes.Reader
}

func (s *scriptConn) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		return n, io.EOF
	}
	return n, err
}
func (s *scriptConn) Write(p []byte) (int, error)      { return len(p), nil }
func (s *scriptConn) Close() error                     { return nil }
func (s *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (s *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (s *scriptConn) SetDeadline(time.Time) error      { return nil }
func (s *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (s *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// clientScript is the byte stream of a publishing client after the
// handshake: connect, createStream, publish, metadata and media.
func clientScript(t testing.TB) []byte {
	var out bytes.Buffer
	w := chunk.NewWriter(&out)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.AppendSetChunkSize(4096))
	for _, c := range []struct {
		sid uint32
		cmd Command
	}{
		{0, Command{Name: CmdConnect, TxID: 1, Object: amf0.Object{{Key: "app", Value: "live"}, {Key: "tcUrl", Value: "rtmp://h/live?x=1"}}}},
		{0, Command{Name: CmdCreateStream, TxID: 2}},
		{1, Command{Name: CmdPublish, TxID: 3, Args: []any{"s?k=1", "live"}}},
	} {
		m, err := c.cmd.Message(c.sid)
		must(err)
		must(w.Append(&m))
	}
	md := SetDataFrame(amf0.ECMAArray{{Key: "width", Value: 1.0}})
	m, _ := md.Message(1, 0)
	must(w.Append(&m))
	must(w.Append(&Message{CSID: 6, Type: chunk.TypeVideo, StreamID: 1, Payload: []byte{0x17, 0, 0, 0, 0}}))
	must(w.Append(&Message{CSID: 4, Type: chunk.TypeAudio, StreamID: 1, Timestamp: 10, Payload: []byte{0xaf, 0}}))
	fc := Command{Name: CmdFCUnpublish, TxID: 4, Args: []any{"s"}}
	m, _ = fc.Message(0)
	must(w.Append(&m))
	must(w.Flush())
	return out.Bytes()
}

func handshakeBytes() []byte {
	b := append([]byte{handshake.Version}, make([]byte, 2*handshake.PacketSize)...)
	return b
}

type countingHandler struct {
	NopHandler
	msgs int
}

func (h *countingHandler) OnMessage(c *ServerConn, m *Message) error { h.msgs++; return nil }

func TestServerScript(t *testing.T) {
	h := &countingHandler{}
	s := NewServer(h, ServerConfig{})
	in := append(handshakeBytes(), clientScript(t)...)
	if err := s.ServeConn(context.Background(), &scriptConn{r: bytes.NewReader(in)}); err != nil {
		t.Fatal(err)
	}
	if h.msgs != 3 {
		t.Errorf("messages %d, want 3", h.msgs)
	}
}

// FuzzServerConn feeds arbitrary bytes after a valid handshake to a server
// connection: it must end with an error or cleanly, never panic or hang.
func FuzzServerConn(f *testing.F) {
	f.Add(clientScript(f))
	f.Add([]byte{})
	f.Add([]byte{0x03, 0, 0, 0, 0, 0, 5, 20, 0, 0, 0, 0, 2, 0, 2, 'h', 'i'})
	s := NewServer(NopHandler{}, ServerConfig{MaxMessageSize: 1 << 16})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append(handshakeBytes(), b...)
		_ = s.ServeConn(context.Background(), &scriptConn{r: bytes.NewReader(in)})
	})
}
