package rtmp

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// recConn replays a script and records what is written.
type recConn struct {
	r   *bytes.Reader
	out bytes.Buffer
}

func (s *recConn) Read(p []byte) (int, error)         { return s.r.Read(p) }
func (s *recConn) Write(p []byte) (int, error)        { return s.out.Write(p) }
func (s *recConn) Close() error                       { return nil }
func (s *recConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (s *recConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (s *recConn) SetDeadline(t time.Time) error      { return nil }
func (s *recConn) SetReadDeadline(t time.Time) error  { return nil }
func (s *recConn) SetWriteDeadline(t time.Time) error { return nil }

// TestControlReplies: the connection answers what a peer owes: a window
// acknowledgement size after Set Peer Bandwidth, a ping response, and an
// acknowledgement once the peer's window of bytes has arrived.
func TestControlReplies(t *testing.T) {
	var script bytes.Buffer
	w := chunk.NewWriter(&script)
	for _, m := range []Message{
		WindowAckSizeMessage(100),
		SetPeerBandwidthMessage(5000, LimitDynamic),
		SetPeerBandwidthMessage(5000, LimitDynamic), // unchanged: no second answer
		UserControlMessage(UserControl{Event: EventPingRequest, Value: 42}),
		{CSID: CSIDVideo, Type: chunk.TypeVideo, StreamID: 1, Payload: make([]byte, 300)},
	} {
		if err := w.Append(&m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	total := script.Len()
	rc := &recConn{r: bytes.NewReader(script.Bytes())}
	c := newConn(rc, nil, chunk.ReaderOptions{})
	m, err := c.readMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != chunk.TypeVideo || len(m.Payload) != 300 {
		t.Fatalf("got %v of %d bytes", m.Type, len(m.Payload))
	}
	if _, err := c.readMessage(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}

	r := chunk.NewReader(bytes.NewReader(rc.out.Bytes()), chunk.ReaderOptions{})
	var got []string
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case chunk.TypeWindowAckSize:
			got = append(got, "window "+itoa(binary.BigEndian.Uint32(m.Payload)))
		case chunk.TypeUserControl:
			u, _ := ParseUserControl(m)
			if u.Event == EventPingResponse {
				got = append(got, "pong "+itoa(u.Value))
			}
		case chunk.TypeAck:
			n := binary.BigEndian.Uint32(m.Payload)
			if int(n) < 100 || int(n) > total {
				t.Errorf("ack %d outside 100..%d", n, total)
			}
			got = append(got, "ack")
		default:
			t.Errorf("unexpected %v", m.Type)
		}
	}
	// Bytes count as they arrive from the socket (buffered), so the ack
	// may precede the other replies.
	slices.Sort(got)
	want := []string{"ack", "pong 42", "window 5000"}
	if len(got) != len(want) {
		t.Fatalf("replies %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("replies %v, want %v", got, want)
		}
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// deadlineConn records the deadlines set on it.
type deadlineConn struct {
	recConn
	reads, writes []time.Time
}

func (d *deadlineConn) SetReadDeadline(t time.Time) error { d.reads = append(d.reads, t); return nil }
func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	d.writes = append(d.writes, t)
	return nil
}

// TestDeadlinesMoveLazily: read and write deadlines stay about the timeout
// ahead but move only once a quarter of it has passed.
func TestDeadlinesMoveLazily(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	dc := &deadlineConn{}
	c := newConn(dc, clk, chunk.ReaderOptions{})
	c.writeTimeout = 8 * time.Second
	m := AckMessage(1)
	for range 3 {
		if err := c.send(&m); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	// 3 s later: a quarter (2 s) has passed since the first, so it moved.
	if len(dc.writes) != 2 || !dc.writes[0].Equal(clock.Epoch().Add(8*time.Second)) || !dc.writes[1].Equal(clock.Epoch().Add(10*time.Second)) {
		t.Errorf("write deadlines %v", dc.writes)
	}
}
