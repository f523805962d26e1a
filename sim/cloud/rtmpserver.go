package cloud

import (
	"context"
	"net"
	"net/url"
	"sync"

	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// serve runs media/rtmp's server on l against the ingest until l closes
// (a restart) or ctx ends.
func (in *ingest) serve(ctx context.Context, l net.Listener) {
	cfg := in.c.cfg
	chunkStreams := int(cfg.MaxRTMPConnMemory / cfg.MaxRTMPMessage)
	// a connection buffers at most one partial message per chunk stream
	chunkStreams = max(8, min(chunkStreams, 64))
	srv := rtmp.NewServer(rtmpHandler{in}, rtmp.ServerConfig{
		// sockets run on wall time whatever the cloud's clock
		Clock:           clock.NewReal(),
		ChunkSize:       60000,
		IdleTimeout:     cfg.IdleTimeout,
		MaxMessageSize:  int(cfg.MaxRTMPMessage),
		MaxChunkStreams: chunkStreams,
	})
	_ = srv.Serve(ctx, l)
}

// rtmpHandler is the ingest's rtmp.Handler.
type rtmpHandler struct{ in *ingest }

// connState is the ingest's state of one RTMP connection.
type connState struct {
	connectQuery url.Values
	mu           sync.Mutex
	publishing   map[uint32]*liveStream // by message stream id
	playing      []*player
}

func state(c *rtmp.ServerConn) *connState {
	if s, ok := c.Value.(*connState); ok {
		return s
	}
	s := &connState{publishing: make(map[uint32]*liveStream)}
	c.Value = s
	return s
}

func (h rtmpHandler) OnConnect(c *rtmp.ServerConn, req *rtmp.ConnectRequest) error {
	st := state(c)
	st.connectQuery = req.Query
	if !h.in.appKnown(req.App) {
		h.in.c.stats.refuse(statusKey(rtmp.IngestNonExistApp))
		return rtmp.IngestNonExistApp
	}
	return nil
}

func (h rtmpHandler) OnPublish(c *rtmp.ServerConn, req *rtmp.StreamRequest) error {
	cl := h.in.c
	if d := cl.faults.latency(); d > 0 {
		if clock.Sleep(c.Context(), cl.clk, d) != nil {
			return c.Context().Err()
		}
	}
	st := state(c)
	ls, code := h.in.publish(req.App, req.RawName, st.connectQuery, c.RemoteAddr().String(), func() { c.Close() })
	if code != rtmp.IngestSuccess {
		return code
	}
	st.mu.Lock()
	st.publishing[req.StreamID] = ls
	st.mu.Unlock()
	return nil
}

func (h rtmpHandler) OnPlay(c *rtmp.ServerConn, req *rtmp.StreamRequest) error {
	ls := h.in.lookup(req.App, req.Stream)
	if ls == nil {
		return rtmp.IngestNonExistStream
	}
	p := newPlayer(c, req.StreamID)
	st := state(c)
	st.mu.Lock()
	st.playing = append(st.playing, p)
	st.mu.Unlock()
	ls.addPlayer(p)
	return nil
}

func (h rtmpHandler) OnMessage(c *rtmp.ServerConn, m *rtmp.Message) error {
	st := state(c)
	st.mu.Lock()
	ls := st.publishing[m.StreamID]
	st.mu.Unlock()
	if ls == nil {
		return nil
	}
	ts := m.Timestamp.Duration()
	switch m.Type {
	case chunk.TypeVideo:
		ls.video(m.Payload, ts)
	case chunk.TypeAudio:
		ls.audio(m.Payload, ts)
	case chunk.TypeDataAMF0, chunk.TypeDataAMF3:
		if m.Type == chunk.TypeDataAMF0 {
			ls.data(m.Payload)
		}
	default:
		return nil
	}
	ls.forward(m)
	return nil
}

func (h rtmpHandler) OnUnpublish(c *rtmp.ServerConn, req *rtmp.StreamRequest) {
	st := state(c)
	st.mu.Lock()
	ls := st.publishing[req.StreamID]
	delete(st.publishing, req.StreamID)
	st.mu.Unlock()
	if ls != nil {
		// the connection's context has ended when the unpublish comes
		// from the connection dying rather than from the publisher
		h.in.unpublish(ls, c.Context().Err() != nil)
	}
}

func (h rtmpHandler) OnClose(c *rtmp.ServerConn, err error) {
	if err != nil {
		h.in.c.cfg.Logf("cloud: rtmp %s: %v", c.RemoteAddr(), err)
	}
	st := state(c)
	st.mu.Lock()
	pub := st.publishing
	st.publishing = map[uint32]*liveStream{}
	players := st.playing
	st.playing = nil
	st.mu.Unlock()
	for _, ls := range pub {
		h.in.unpublish(ls, true)
	}
	for _, p := range players {
		p.stop()
	}
}

// lookup returns the live stream app/stream or nil.
func (in *ingest) lookup(app, stream string) *liveStream {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.live[app+"/"+stream]
}

// player is a probe player of a live stream: the publisher's messages are
// copied into a bounded queue that one goroutine writes to the player, so
// a slow player never holds the publisher up (when its queue is full it is
// disconnected).
type player struct {
	c      *rtmp.ServerConn
	sid    uint32
	synced bool // a video key frame has been sent: media flows from there
	q      chan rtmp.Message
	once   sync.Once
	done   chan struct{}
}

// playerQueue is how many messages a player may lag behind.
const playerQueue = 512

func newPlayer(c *rtmp.ServerConn, sid uint32) *player {
	p := &player{c: c, sid: sid, q: make(chan rtmp.Message, playerQueue), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *player) run() {
	for {
		select {
		case <-p.done:
			return
		case <-p.c.Context().Done():
			p.stop()
			return
		case m := <-p.q:
			if err := p.c.WriteMessage(&m); err != nil {
				p.stop()
				p.c.Close()
				return
			}
		}
	}
}

func (p *player) stop() { p.once.Do(func() { close(p.done) }) }

func (p *player) stopped() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// send queues a copy of m; false when the player is gone or too slow.
func (p *player) send(m *rtmp.Message) bool {
	if p.stopped() {
		return false
	}
	cp := *m
	cp.StreamID = p.sid
	cp.Payload = append([]byte(nil), m.Payload...)
	select {
	case p.q <- cp:
		return true
	default:
		p.stop()
		p.c.Close()
		return false
	}
}

// addPlayer starts a player with the stream's sequence headers and metadata.
func (ls *liveStream) addPlayer(p *player) {
	ls.pmu.Lock()
	defer ls.pmu.Unlock()
	for _, m := range []*rtmp.Message{ls.meta, ls.videoHdr, ls.audioHdr} {
		if m != nil {
			p.send(m)
		}
	}
	ls.players = append(ls.players, p)
}

// forward copies a published message to the players, and keeps the
// sequence headers and metadata for players that join later.
func (ls *liveStream) forward(m *rtmp.Message) {
	keep := func() *rtmp.Message {
		cp := *m
		cp.Payload = append([]byte(nil), m.Payload...)
		return &cp
	}
	ls.pmu.Lock()
	defer ls.pmu.Unlock()
	switch m.Type {
	case chunk.TypeVideo:
		if isSequenceHeader(m.Payload, true) {
			ls.videoHdr = keep()
		}
	case chunk.TypeAudio:
		if isSequenceHeader(m.Payload, false) {
			ls.audioHdr = keep()
		}
	case chunk.TypeDataAMF0:
		ls.meta = keep()
	}
	if len(ls.players) == 0 {
		return
	}
	media := m.Type == chunk.TypeVideo || m.Type == chunk.TypeAudio
	key := m.Type == chunk.TypeVideo && len(m.Payload) > 0 && m.Payload[0]>>4&7 == flv.FrameTypeKey
	live := ls.players[:0]
	for _, p := range ls.players {
		// a player starts at a key frame, so that it can decode at once
		if media && !p.synced {
			if !key {
				live = append(live, p)
				continue
			}
			p.synced = true
		}
		if p.send(m) {
			live = append(live, p)
		}
	}
	ls.players = live
}

// stopPlayers ends the players of a stream that ended.
func (ls *liveStream) stopPlayers() {
	ls.pmu.Lock()
	defer ls.pmu.Unlock()
	for _, p := range ls.players {
		p.stop()
		p.c.Close()
	}
	ls.players = nil
}

func isSequenceHeader(body []byte, video bool) bool {
	if video {
		var v flv.VideoTag
		return v.Unmarshal(body) == nil && v.Packet == flv.PacketSequenceHeader
	}
	var a flv.AudioTag
	return a.Unmarshal(body) == nil && a.Packet == flv.PacketSequenceHeader
}
