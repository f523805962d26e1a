package rtmp

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// tapConn records what is written once recording is switched on.
type tapConn struct {
	net.Conn
	mu     sync.Mutex
	on     bool
	writes int
	bytes  bytes.Buffer
}

func (t *tapConn) Write(p []byte) (int, error) {
	t.mu.Lock()
	if t.on {
		t.writes++
		t.bytes.Write(p)
	}
	t.mu.Unlock()
	return t.Conn.Write(p)
}

func (t *tapConn) record() (int, []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writes, bytes.Clone(t.bytes.Bytes())
}

// bufferedSteps is one publish as a sequence of messages; flushAfter
// marks where a buffered publisher flushes.
type bufferedStep struct {
	video, audio, data bool
	ts                 Timestamp
	payload            []byte
	flushAfter         bool
}

func bufferedScript() []bufferedStep {
	big := bytes.Repeat([]byte{0x17, 1, 0, 0, 0}, 30000) // several 60000-byte chunks
	steps := []bufferedStep{{data: true}}
	for i := range 30 {
		ts := Timestamp(i * 66)
		v := []byte{0x27, 1, 0, 0, 0, byte(i)}
		if i%15 == 0 {
			v = big
		}
		steps = append(steps, bufferedStep{video: true, ts: ts, payload: v},
			bufferedStep{audio: true, ts: ts + 2, payload: []byte{0xaf, 1, byte(i)}, flushAfter: i%3 != 0})
	}
	steps[len(steps)-1].flushAfter = true
	return steps
}

// publishScript publishes the script with the Write methods (buffered
// false) or the Buffer methods and Flush, and returns the tap's record of
// the media part and the server's messages.
func publishScript(t *testing.T, buffered bool) (writes int, wire []byte, msgs []Message) {
	return publishScriptParts(t, buffered, false)
}

// publishScriptParts is publishScript; with parts the buffered media
// go in three pieces (BufferVideoParts, BufferAudioParts).
func publishScriptParts(t *testing.T, buffered, parts bool) (writes int, wire []byte, msgs []Message) {
	rec := newRecorder()
	_, addr := startServer(t, rec, ServerConfig{ChunkSize: 60000})
	ctx := ctxT(t)
	var tap *tapConn
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		tap = &tapConn{Conn: nc}
		return tap, nil
	}
	c, err := Dial(ctx, "rtmp://"+addr+"/live/cam-0001", ClientConfig{ChunkSize: 60000, Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	tap.mu.Lock()
	tap.on = true
	tap.mu.Unlock()
	md := SetDataFrame(amf0.ECMAArray{{Key: "videocodecid", Value: 7.0}})
	for _, s := range bufferedScript() {
		switch {
		case s.data && buffered:
			err = c.BufferData(0, md)
		case s.data:
			err = c.WriteData(0, md)
		case s.video && buffered && parts:
			err = c.BufferVideoParts(s.ts, thirds(s.payload))
		case s.video && buffered:
			err = c.BufferVideo(s.ts, s.payload)
		case s.video:
			err = c.WriteVideo(s.ts, s.payload)
		case buffered && parts:
			err = c.BufferAudioParts(s.ts, thirds(s.payload))
		case buffered:
			err = c.BufferAudio(s.ts, s.payload)
		default:
			err = c.WriteAudio(s.ts, s.payload)
		}
		if err != nil {
			t.Fatal(err)
		}
		if buffered && s.flushAfter {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			if n := c.Buffered(); n != 0 {
				t.Fatalf("%d bytes buffered after Flush", n)
			}
		}
	}
	writes, wire = tap.record()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec.closedCh
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return writes, wire, rec.msgs
}

// TestBufferedPublish: the Buffer methods and Flush put the same bytes on
// the wire as the Write methods, with one socket write per Flush, and the
// server receives every message.
func TestBufferedPublish(t *testing.T) {
	script := bufferedScript()
	flushes := 0
	for _, s := range script {
		if s.flushAfter {
			flushes++
		}
	}
	wWrites, wWire, wMsgs := publishScript(t, false)
	bWrites, bWire, bMsgs := publishScript(t, true)
	if wWrites != len(script) {
		t.Errorf("Write methods: %d socket writes for %d messages", wWrites, len(script))
	}
	if bWrites != flushes {
		t.Errorf("Buffer methods: %d socket writes for %d flushes", bWrites, flushes)
	}
	if !bytes.Equal(wWire, bWire) {
		t.Errorf("wire bytes differ: %d written one by one, %d buffered", len(wWire), len(bWire))
	}
	if len(bMsgs) != len(script) || len(wMsgs) != len(script) {
		t.Fatalf("server received %d (buffered) and %d messages, want %d", len(bMsgs), len(wMsgs), len(script))
	}
	for i, s := range script {
		g := bMsgs[i]
		if s.data {
			if _, err := ParseData(&g); err != nil {
				t.Errorf("message %d: %v", i, err)
			}
			continue
		}
		if g.Timestamp != s.ts || !bytes.Equal(g.Payload, s.payload) {
			t.Errorf("message %d: ts %d len %d, want ts %d len %d", i, g.Timestamp, len(g.Payload), s.ts, len(s.payload))
		}
	}
}

// thirds cuts p in three pieces (some may be empty).
func thirds(p []byte) [][]byte {
	a, b := len(p)/3, 2*len(p)/3
	return [][]byte{p[:a], p[a:b], p[b:]}
}

// TestBufferedPublishParts: media given in pieces put the same bytes on
// the wire as whole bodies.
func TestBufferedPublishParts(t *testing.T) {
	_, want, _ := publishScript(t, true)
	_, got, msgs := publishScriptParts(t, true, true)
	if !bytes.Equal(got, want) {
		t.Errorf("wire bytes differ: %d in parts, %d whole", len(got), len(want))
	}
	if len(msgs) != len(bufferedScript()) {
		t.Errorf("server received %d messages, want %d", len(msgs), len(bufferedScript()))
	}
}

// TestFlushEmpty: Flush with nothing buffered writes nothing.
func TestFlushEmpty(t *testing.T) {
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
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.BufferVideo(0, make([]byte, chunk.MaxMessageLength+1)); err == nil {
		t.Error("BufferVideo accepted an oversized message")
	}
	if n := c.Buffered(); n != 0 {
		t.Errorf("%d bytes buffered after a refused message", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec.closedCh
}
