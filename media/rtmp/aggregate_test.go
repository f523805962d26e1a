package rtmp

import (
	"bytes"
	"io"
	"testing"

	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

var aggregateSubs = []Message{
	{Type: chunk.TypeVideo, Timestamp: 1000, Payload: []byte{0x17, 1, 0, 0, 0, 9}},
	{Type: chunk.TypeAudio, Timestamp: 1023, Payload: []byte{0xaf, 1, 7}},
	{Type: chunk.TypeVideo, Timestamp: 1066, Payload: []byte{0x27, 1, 0, 0, 0}},
}

func TestAggregateRoundTrip(t *testing.T) {
	p, err := AppendAggregate(nil, aggregateSubs)
	if err != nil {
		t.Fatal(err)
	}
	// The aggregate's own timestamp rebases the sub-messages.
	m := Message{Type: chunk.TypeAggregate, StreamID: 1, Timestamp: 5000, Payload: p}
	var got []Message
	err = SplitAggregate(&m, func(s *Message) error {
		c := *s
		c.Payload = bytes.Clone(s.Payload)
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(aggregateSubs) {
		t.Fatalf("%d sub-messages", len(got))
	}
	for i, w := range aggregateSubs {
		g := got[i]
		if g.Type != w.Type || g.Timestamp != 5000+w.Timestamp-1000 || !bytes.Equal(g.Payload, w.Payload) || g.StreamID != 1 {
			t.Errorf("sub %d: %+v", i, g)
		}
	}
	// Without the last back pointer.
	m.Payload = p[:len(p)-4]
	n := 0
	if err := SplitAggregate(&m, func(*Message) error { n++; return nil }); err != nil || n != 3 {
		t.Errorf("no last back pointer: %d %v", n, err)
	}
	for _, bad := range [][]byte{p[:5], p[:20], append(bytes.Clone(p[:21]), 0, 0, 0, 9), {0x14, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}} {
		m.Payload = bad
		if err := SplitAggregate(&m, func(*Message) error { return nil }); err == nil {
			t.Errorf("% x split", bad)
		}
	}
}

// TestAggregateThroughServerAndPlayer: a publisher's aggregate reaches the
// handler as sub-messages, and a player's ReadMessage splits aggregates.
func TestAggregateThroughServerAndPlayer(t *testing.T) {
	agg, err := AppendAggregate(nil, aggregateSubs)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	rec.onPlay = func(c *ServerConn, req *StreamRequest) {
		m := Message{Type: chunk.TypeAggregate, StreamID: req.StreamID, Timestamp: 1000, Payload: agg}
		_ = c.WriteMessage(&m)
	}
	_, addr := startServer(t, rec, ServerConfig{})
	ctx := ctxT(t)

	pub, err := Dial(ctx, "rtmp://"+addr+"/live/s", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pub.WriteMessages([]Message{{Type: chunk.TypeAggregate, Timestamp: 1000, Payload: agg}}); err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	<-rec.closedCh
	rec.mu.Lock()
	if len(rec.msgs) != 3 || rec.msgs[1].Type != chunk.TypeAudio || rec.msgs[2].Timestamp != 1066 {
		t.Errorf("handler got %+v", rec.msgs)
	}
	rec.mu.Unlock()

	player, err := Dial(ctx, "rtmp://"+addr+"/live/s", ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer player.Close()
	if err := player.Play(ctx); err != nil {
		t.Fatal(err)
	}
	var got []Message
	for len(got) < 3 {
		m, err := player.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == chunk.TypeVideo || m.Type == chunk.TypeAudio {
			c := *m
			c.Payload = bytes.Clone(m.Payload)
			got = append(got, c)
		}
	}
	for i, w := range aggregateSubs {
		if got[i].Type != w.Type || got[i].Timestamp != w.Timestamp || !bytes.Equal(got[i].Payload, w.Payload) {
			t.Errorf("player sub %d: %+v", i, got[i])
		}
	}
}

func FuzzSplitAggregate(f *testing.F) {
	p, _ := AppendAggregate(nil, aggregateSubs)
	f.Add(p)
	f.Add(p[:len(p)-4])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Message{Type: chunk.TypeAggregate, Payload: b}
		total := 0
		_ = SplitAggregate(&m, func(s *Message) error {
			total += len(s.Payload) + aggregateHeaderSize
			return nil
		})
		if total > len(b) {
			t.Fatalf("sub-messages cover %d bytes of %d", total, len(b))
		}
	})
}

// syncPlayer writes from inside OnPlay, before the server has started the
// play: those writes must reach the player after NetStream.Play.Start.
type syncPlayer struct{ NopHandler }

func (syncPlayer) OnPlay(c *ServerConn, req *StreamRequest) error {
	for i := range 3 {
		m := Message{Type: chunk.TypeVideo, StreamID: req.StreamID, Timestamp: Timestamp(i * 40), Payload: []byte{0x17, 1, byte(i)}}
		if err := c.WriteMessage(&m); err != nil {
			return err
		}
	}
	return c.StopPlay(req.StreamID)
}

func TestWritesDuringOnPlayFollowStart(t *testing.T) {
	_, addr := startServer(t, syncPlayer{}, ServerConfig{})
	ctx := ctxT(t)
	c, err := Dial(ctx, "rtmp://"+addr+"/live/s", ClientConfig{})
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
		if m.Type == chunk.TypeVideo {
			got = append(got, m.Payload[2])
		}
	}
	if !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Errorf("player got frames %v, want [0 1 2] after the start", got)
	}
}
