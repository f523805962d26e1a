package rtmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/media/rtmp/handshake"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// ServerConfig configures a Server. Zero fields take the defaults shown.
type ServerConfig struct {
	Clock clock.Clock // real clock
	// ChunkSize is the outgoing chunk size; 4096.
	ChunkSize uint32
	// WindowAckSize and PeerBandwidth are announced on connect; 2,500,000.
	WindowAckSize uint32
	PeerBandwidth uint32
	// HandshakeTimeout bounds the handshake; 10 s.
	HandshakeTimeout time.Duration
	// IdleTimeout bounds the wait for each message; 30 s.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write; 10 s.
	WriteTimeout time.Duration
	// MaxMessageSize bounds received messages; 4 MiB.
	MaxMessageSize int
	// MaxChunkStreams bounds the chunk streams per connection; 64.
	MaxChunkStreams int
	// MaxConns caps concurrent connections (0: no cap); above it new
	// connections are closed at once.
	MaxConns int
	// Pool supplies message buffers for every connection; a new pool.
	Pool *chunk.BufferPool
}

func (c *ServerConfig) defaults() {
	if c.Clock == nil {
		c.Clock = clock.NewReal()
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = 4096
	}
	if c.WindowAckSize == 0 {
		c.WindowAckSize = 2_500_000
	}
	if c.PeerBandwidth == 0 {
		c.PeerBandwidth = 2_500_000
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Pool == nil {
		c.Pool = chunk.NewBufferPool()
	}
}

// Server accepts RTMP connections and runs them against a Handler.
type Server struct {
	h   Handler
	cfg ServerConfig

	mu    sync.Mutex
	conns map[*ServerConn]struct{}
	wg    sync.WaitGroup
}

// NewServer returns a server for h.
func NewServer(h Handler, cfg ServerConfig) *Server {
	cfg.defaults()
	return &Server{h: h, cfg: cfg, conns: make(map[*ServerConn]struct{})}
}

// ErrTooManyConns is the close reason of connections above MaxConns.
var ErrTooManyConns = errors.New("rtmp: too many connections")

// Serve accepts connections on ln until ctx ends, then closes ln and every
// connection and waits for their goroutines. It returns nil after ctx ends,
// or net.ErrClosed when someone else closed ln. Other accept errors (no
// file descriptors left) are retried with a backoff.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.wg.Wait()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does, rather than stop serving thousands.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if clock.Sleep(ctx, s.cfg.Clock, backoff) != nil {
				return nil
			}
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = s.ServeConn(ctx, nc)
		}()
	}
}

// Conns returns the number of open connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// ServeConn runs one connection until it ends or ctx ends; it closes nc.
// The returned error is also passed to the handler's OnClose.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &ServerConn{
		conn: newConn(nc, s.cfg.Clock, chunk.ReaderOptions{
			MaxMessageSize:  s.cfg.MaxMessageSize,
			MaxChunkStreams: s.cfg.MaxChunkStreams,
			Pool:            s.cfg.Pool,
		}),
		srv:     s,
		ctx:     ctx,
		cancel:  cancel,
		streams: make(map[uint32]*serverStream),
	}
	s.mu.Lock()
	over := s.cfg.MaxConns > 0 && len(s.conns) >= s.cfg.MaxConns
	if !over {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if over {
		nc.Close()
		return ErrTooManyConns
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()

	err := c.serve()
	if ctx.Err() != nil && c.closeErr == nil {
		err = nil // closed by the server
	}
	if c.closeErr != nil {
		err = c.closeErr
	}
	for sid, st := range c.streams {
		if st.publishing {
			s.h.OnUnpublish(c, &st.req)
		}
		delete(c.streams, sid)
	}
	nc.Close()
	c.r.Release()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.h.OnClose(c, err)
	return err
}

// ServerConn is one accepted connection.
type ServerConn struct {
	*conn
	srv    *Server
	ctx    context.Context
	cancel context.CancelFunc

	connected bool
	connect   ConnectRequest
	nextSID   uint32
	streams   map[uint32]*serverStream
	closeErr  error
	hs        handshake.Packet

	// Plays being started: writes to them are held (see WriteMessage).
	pmu       sync.Mutex
	starting  map[uint32]*[]Message
	nstarting atomic.Int32

	// Value is free for the handler's per-connection state.
	Value any
}

type serverStream struct {
	req        StreamRequest
	publishing bool
	playing    bool
}

// Context is the connection's context; it ends when the connection does.
func (c *ServerConn) Context() context.Context { return c.ctx }

// Handshake returns the time fields of the client's C1; Digest() tells a
// client that offered the digest (Flash Player 9) handshake, which the
// simple echo served.
func (c *ServerConn) Handshake() handshake.Packet { return c.hs }

// ConnectRequest returns the accepted connect (zero before it).
func (c *ServerConn) ConnectRequest() ConnectRequest { return c.connect }

// RemoteAddr returns the peer's address.
func (c *ServerConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Close ends the connection (from any goroutine).
func (c *ServerConn) Close() error {
	c.cancel()
	return nil
}

// WriteMessage sends m to the peer (a played stream's media, for example)
// with one socket write. Safe for concurrent use.
//
// Writes to a stream whose play is being started (from OnPlay, or from
// another goroutine before the server has sent NetStream.Play.Start) are
// held, copied, and sent right after the start statuses, so a player never
// sees media before its play began.
func (c *ServerConn) WriteMessage(m *Message) error {
	if m.CSID == 0 {
		m.CSID = csidFor(m.Type)
	}
	if c.nstarting.Load() > 0 && c.holdIfStarting(m.StreamID, []Message{*m}) {
		return nil
	}
	return c.send(m)
}

// WriteMessages sends a batch with one socket write (held like
// WriteMessage's while its stream's play is starting).
func (c *ServerConn) WriteMessages(ms []Message) error {
	for i := range ms {
		if ms[i].CSID == 0 {
			ms[i].CSID = csidFor(ms[i].Type)
		}
	}
	for i := range ms {
		if c.holdIfStarting(ms[i].StreamID, ms) {
			return nil
		}
	}
	return c.sendBatch(ms)
}

// holdIfStarting queues copies of ms when sid's play is starting.
func (c *ServerConn) holdIfStarting(sid uint32, ms []Message) bool {
	if sid == 0 || c.nstarting.Load() == 0 {
		return false
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	q, ok := c.starting[sid]
	if !ok {
		return false
	}
	for _, m := range ms {
		m.Payload = bytes.Clone(m.Payload)
		*q = append(*q, m)
	}
	return true
}

// beginStarting marks sid's play as starting: writes to it are held.
func (c *ServerConn) beginStarting(sid uint32) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.starting == nil {
		c.starting = make(map[uint32]*[]Message)
	}
	c.starting[sid] = new([]Message)
	c.nstarting.Add(1)
}

// endStarting sends (when send is true) or drops the held writes of sid,
// then lets writes through.
func (c *ServerConn) endStarting(sid uint32, send bool) error {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	q := c.starting[sid]
	delete(c.starting, sid)
	c.nstarting.Add(-1)
	if !send || q == nil || len(*q) == 0 {
		return nil
	}
	return c.sendBatch(*q)
}

// StopPlay tells a player its stream ended: Stream EOF and onStatus
// NetStream.Play.Stop (players such as ffmpeg then finish cleanly).
func (c *ServerConn) StopPlay(sid uint32) error {
	eof := UserControlMessage(UserControl{Event: EventStreamEOF, Value: sid})
	st := &Status{Level: LevelStatus, Code: CodePlayStop, Description: "Stopped playing."}
	cmd := Command{Name: CmdOnStatus, Args: []any{st.Object()}}
	m, err := cmd.Message(sid)
	if err != nil {
		return err
	}
	return c.WriteMessages([]Message{eof, m})
}

// SendStatus sends an onStatus on message stream sid.
func (c *ServerConn) SendStatus(sid uint32, s *Status) error { return c.sendStatus(sid, s) }

func (c *ServerConn) serve() error {
	cfg := &c.srv.cfg
	_ = c.nc.SetDeadline(cfg.Clock.Now().Add(cfg.HandshakeTimeout))
	hs, err := handshake.Server(c.nc, handshake.Config{})
	if err != nil {
		return err
	}
	c.hs = hs
	_ = c.nc.SetDeadline(time.Time{})
	c.readTimeout = cfg.IdleTimeout
	c.writeTimeout = cfg.WriteTimeout
	for {
		m, err := c.readMessage()
		if err != nil {
			if errors.Is(err, io.EOF) || c.ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := c.dispatch(m); err != nil {
			return err
		}
		if c.closeErr != nil {
			return c.closeErr
		}
	}
}

func (c *ServerConn) dispatch(m *Message) error {
	switch m.Type {
	case chunk.TypeAudio, chunk.TypeVideo, chunk.TypeDataAMF0, chunk.TypeDataAMF3, chunk.TypeAggregate:
		st := c.streams[m.StreamID]
		if st == nil || !st.publishing {
			return nil // media on a stream that is not publishing is dropped
		}
		if m.Type == chunk.TypeAggregate {
			return SplitAggregate(m, func(sub *Message) error { return c.srv.h.OnMessage(c, sub) })
		}
		return c.srv.h.OnMessage(c, m)
	case chunk.TypeCommandAMF0, chunk.TypeCommandAMF3:
		cmd, err := ParseCommand(m)
		if err != nil {
			return err
		}
		return c.command(m.StreamID, &cmd)
	}
	return nil
}

// request kinds a handler may reject.
type reqKind uint8

const (
	reqConnect reqKind = iota
	reqPublish
	reqPlay
)

// rejectWith turns a handler's error into the status to send.
func rejectWith(err error, kind reqKind) *Status {
	var st *Status
	if errors.As(err, &st) {
		return st
	}
	var ic IngestCode
	if errors.As(err, &ic) {
		switch kind {
		case reqConnect:
			return ic.ConnectStatus()
		case reqPublish:
			return ic.PublishStatus()
		default:
			return ic.PlayStatus()
		}
	}
	code := CodeConnectRejected
	switch kind {
	case reqPublish:
		code = CodePublishRejected
	case reqPlay:
		code = CodePlayFailed
	}
	return &Status{Level: LevelError, Code: code, Description: err.Error()}
}

func (c *ServerConn) command(sid uint32, cmd *Command) error {
	if cmd.Name != CmdConnect && !c.connected {
		return fmt.Errorf("rtmp: %q before connect", cmd.Name)
	}
	switch cmd.Name {
	case CmdConnect:
		return c.onConnect(cmd)
	case CmdCreateStream:
		c.nextSID++
		if c.nextSID > 64 {
			return errors.New("rtmp: too many streams on one connection")
		}
		return c.sendCommand(0, &Command{Name: CmdResult, TxID: cmd.TxID, Args: []any{float64(c.nextSID)}})
	case CmdPublish:
		return c.onPublish(sid, cmd)
	case CmdPlay:
		return c.onPlay(sid, cmd)
	case CmdFCUnpublish:
		name, _ := SplitStreamName(cmd.StringArg(0))
		for id, st := range c.streams {
			if st.publishing && st.req.Stream == name {
				c.endStream(id)
			}
		}
	case CmdDeleteStream:
		if id, ok := cmd.Arg(0).(float64); ok {
			c.endStream(uint32(id))
		}
	case CmdCloseStream:
		c.endStream(sid)
	}
	// releaseStream, FCPublish, getStreamLength and others need no answer.
	return nil
}

func (c *ServerConn) endStream(sid uint32) {
	st := c.streams[sid]
	if st == nil {
		return
	}
	delete(c.streams, sid)
	if st.publishing {
		c.srv.h.OnUnpublish(c, &st.req)
	}
}

func (c *ServerConn) onConnect(cmd *Command) error {
	if c.connected {
		return errors.New("rtmp: second connect")
	}
	obj := cmd.CommandObject()
	app, appQuery, _ := strings.Cut(obj.String("app"), "?")
	req := ConnectRequest{App: strings.TrimSuffix(app, "/"), TCURL: obj.String("tcUrl"), Object: obj, Query: url.Values{}}
	if _, q, ok := strings.Cut(req.TCURL, "?"); ok {
		mergeQuery(req.Query, q)
	}
	mergeQuery(req.Query, appQuery)
	if l, ok := obj.Get("fourCcList"); ok {
		if a, ok := l.(amf0.StrictArray); ok {
			for _, v := range a {
				if s, ok := v.(string); ok {
					req.FourCCList = append(req.FourCCList, s)
				}
			}
		}
	}
	if err := c.srv.h.OnConnect(c, &req); err != nil {
		st := rejectWith(err, reqConnect)
		_ = c.sendCommand(0, &Command{Name: CmdError, TxID: cmd.TxID, Args: []any{st.Object()}})
		c.closeErr = st
		return nil
	}
	c.connected = true
	c.connect = req
	cfg := &c.srv.cfg
	wa := WindowAckSizeMessage(cfg.WindowAckSize)
	pb := SetPeerBandwidthMessage(cfg.PeerBandwidth, LimitDynamic)
	c.wmu.Lock()
	_ = c.w.Append(&wa)
	_ = c.w.Append(&pb)
	err := c.w.AppendSetChunkSize(cfg.ChunkSize)
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	props := amf0.Object{
		{Key: "fmsVer", Value: "FMS/3,5,7,7009"},
		{Key: "capabilities", Value: 31.0},
		{Key: "mode", Value: 1.0},
	}
	info := (&Status{Level: LevelStatus, Code: CodeConnectSuccess, Description: "Connection succeeded."}).Object()
	info = append(info, amf0.Property{Key: "objectEncoding", Value: 0.0})
	if len(req.FourCCList) > 0 {
		l := make(amf0.StrictArray, len(req.FourCCList))
		for i, f := range req.FourCCList {
			l[i] = f
		}
		info = append(info, amf0.Property{Key: "fourCcList", Value: l})
	}
	return c.sendCommand(0, &Command{Name: CmdResult, TxID: cmd.TxID, Object: props, Args: []any{info}})
}

func mergeQuery(dst url.Values, raw string) {
	if raw == "" {
		return
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return
	}
	for k, v := range q {
		dst[k] = v
	}
}

func (c *ServerConn) streamRequest(sid uint32, cmd *Command) (StreamRequest, error) {
	if sid == 0 || sid > c.nextSID {
		return StreamRequest{}, fmt.Errorf("rtmp: %s on stream %d that was not created", cmd.Name, sid)
	}
	if c.streams[sid] != nil {
		return StreamRequest{}, fmt.Errorf("rtmp: %s on stream %d already in use", cmd.Name, sid)
	}
	raw := cmd.StringArg(0)
	name, q := SplitStreamName(raw)
	query := url.Values{}
	for k, v := range c.connect.Query {
		query[k] = v
	}
	for k, v := range q {
		query[k] = v
	}
	return StreamRequest{App: c.connect.App, Stream: name, RawName: raw, Query: query, StreamID: sid}, nil
}

func (c *ServerConn) onPublish(sid uint32, cmd *Command) error {
	req, err := c.streamRequest(sid, cmd)
	if err != nil {
		return err
	}
	req.Type = cmd.StringArg(1)
	if req.Type == "" {
		req.Type = "live"
	}
	if err := c.srv.h.OnPublish(c, &req); err != nil {
		st := rejectWith(err, reqPublish)
		_ = c.sendStatus(sid, st)
		c.closeErr = st
		return nil
	}
	c.streams[sid] = &serverStream{req: req, publishing: true}
	sb := UserControlMessage(UserControl{Event: EventStreamBegin, Value: sid})
	if err := c.send(&sb); err != nil {
		return err
	}
	return c.sendStatus(sid, &Status{Level: LevelStatus, Code: CodePublishStart, Description: req.Stream + " is now published."})
}

func (c *ServerConn) onPlay(sid uint32, cmd *Command) error {
	req, err := c.streamRequest(sid, cmd)
	if err != nil {
		return err
	}
	c.beginStarting(sid)
	if err := c.srv.h.OnPlay(c, &req); err != nil {
		_ = c.endStarting(sid, false)
		st := rejectWith(err, reqPlay)
		_ = c.sendStatus(sid, st)
		c.closeErr = st
		return nil
	}
	c.streams[sid] = &serverStream{req: req, playing: true}
	if err := c.startPlay(sid, &req); err != nil {
		_ = c.endStarting(sid, false)
		return err
	}
	return c.endStarting(sid, true)
}

// startPlay sends Stream Begin, NetStream.Play.Reset and .Start and
// |RtmpSampleAccess.
func (c *ServerConn) startPlay(sid uint32, req *StreamRequest) error {
	sb := UserControlMessage(UserControl{Event: EventStreamBegin, Value: sid})
	if err := c.send(&sb); err != nil {
		return err
	}
	for _, st := range []*Status{
		{Level: LevelStatus, Code: CodePlayReset, Description: "Playing and resetting " + req.Stream + "."},
		{Level: LevelStatus, Code: CodePlayStart, Description: "Started playing " + req.Stream + "."},
	} {
		if err := c.sendStatus(sid, st); err != nil {
			return err
		}
	}
	d := Data{Name: "|RtmpSampleAccess", Args: []any{true, true}}
	dm, err := d.Message(sid, 0)
	if err != nil {
		return err
	}
	return c.send(&dm)
}
