package rtmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/media/rtmp/handshake"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// DialFunc opens the transport; links wrap the net.Conn it returns.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// ClientConfig configures a client connection. The zero value works.
type ClientConfig struct {
	// Dial opens the TCP connection; nil uses a net.Dialer.
	Dial DialFunc
	// Clock computes write deadlines; nil is the real clock.
	Clock clock.Clock
	// ChunkSize is the outgoing chunk size announced after the handshake;
	// 0 means 4096. (The push SDK uses 60000.)
	ChunkSize uint32
	// WriteTimeout bounds each write once connected; 0 means none.
	WriteTimeout time.Duration
	// SetupTimeout bounds each of Dial (handshake and connect), Publish and
	// Play, on top of their context; 0 means 10 s, negative means none.
	// Running out gives an *Error with StageTimeout.
	SetupTimeout time.Duration
	// FlashVer is connect's flashVer; "" means an FMLE-style string.
	FlashVer string
	// FourCCList advertises Enhanced RTMP codecs in connect (e.g. "hvc1").
	FourCCList []string
	// QueryInTCURL appends the URL's query to tcUrl too (some ingests read
	// the signature there); it is always on the stream name.
	QueryInTCURL bool
	// ConnectExtra is appended to the connect command object.
	ConnectExtra amf0.Object
	// Rand fills the handshake's random bytes; nil leaves a fixed pattern.
	Rand *rand.Rand
	// MaxMessageSize bounds received messages (play); 0 means 4 MiB.
	MaxMessageSize int
	// Pool, shared by many connections, lends the send and receive
	// buffers, so that an idle connection holds none; nil gives each
	// connection its own buffers.
	Pool *chunk.BufferPool
}

// ClientConn is a client connection: Dial, then Publish or Play.
//
// Once publishing, a goroutine reads what the server sends (answering
// pings and acknowledgement windows, watching for onStatus errors) until
// Close or a failure; Done and Err report its end. Write methods may be
// called from one goroutine at a time each, concurrently with that reader.
type ClientConn struct {
	*conn
	url     URL
	cfg     ClientConfig
	nextTx  float64
	sid     uint32
	mode    string  // "", "publish" or "play"
	Connect *Status // the server's connect result

	agg aggregateIter // sub-messages of an aggregate not yet returned
	sub Message
	// early holds copies of media that arrived before the play started;
	// keepEarly is set while Play waits.
	early     []Message
	keepEarly bool

	done      chan struct{}
	closeOnce sync.Once
	closing   atomic.Bool
	mu        sync.Mutex
	err       error
}

// Dial parses rawURL, opens the connection, runs the handshake and
// connects to the app. ctx bounds these steps only. Errors are *Error with
// the stage that failed.
func Dial(ctx context.Context, rawURL string, cfg ClientConfig) (*ClientConn, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, &Error{stage: StageInvalidURL, during: StageInvalidURL, Err: err}
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 4096
	}
	if cfg.SetupTimeout == 0 {
		cfg.SetupTimeout = 10 * time.Second
	}
	if cfg.FlashVer == "" {
		cfg.FlashVer = "FMLE/3.0 (compatible; fleetsim)"
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.NewReal()
	}
	dctx := ctx
	if cfg.SetupTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithDeadline(ctx, clk.Now().Add(cfg.SetupTimeout))
		defer cancel()
	}
	nc, err := cfg.Dial(dctx, "tcp", u.Addr())
	if err != nil {
		return nil, withCtx(dctx, stageError(StageSocket, err))
	}
	c := &ClientConn{
		conn:   newConn(nc, clk, chunk.ReaderOptions{MaxMessageSize: cfg.MaxMessageSize, Pool: cfg.Pool}),
		url:    u,
		cfg:    cfg,
		nextTx: 1,
		done:   make(chan struct{}),
	}
	end := c.bound(ctx)
	defer end()

	if err := handshake.Client(nc, handshake.Config{Rand: cfg.Rand}); err != nil {
		nc.Close()
		return nil, withCtx(ctx, stageError(StageHandshake, err))
	}
	if err := c.connect(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	c.writeTimeout = cfg.WriteTimeout
	c.raw = newRawWriter(nc)
	return c, nil
}

// bound applies ctx's deadline and cancellation, and the setup timeout, to
// the socket until the returned function is called.
func (c *ClientConn) bound(ctx context.Context) func() {
	var dl time.Time
	if c.cfg.SetupTimeout > 0 {
		dl = c.clk.Now().Add(c.cfg.SetupTimeout)
	}
	if cdl, ok := ctx.Deadline(); ok && (dl.IsZero() || cdl.Before(dl)) {
		dl = cdl
	}
	if !dl.IsZero() {
		_ = c.nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		_ = c.nc.SetDeadline(time.Time{})
		c.wmu.Lock()
		c.wdl = deadline{} // the next write sets its own deadline again
		c.wmu.Unlock()
	}
}

// withCtx reports a context's end as the cause when it ended the stage.
func withCtx(ctx context.Context, e *Error) *Error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(e.Err, cerr) {
		e.Err = fmt.Errorf("%w (%w)", cerr, e.Err)
		if errors.Is(cerr, context.DeadlineExceeded) {
			e.stage = StageTimeout
		} else {
			// Cancelled: the stage that was running failed, not a timeout
			// (cancellation works by expiring the socket's deadline).
			e.stage = e.during
		}
	}
	return e
}

func (c *ClientConn) tx() float64 {
	t := c.nextTx
	c.nextTx++
	return t
}

func (c *ClientConn) connect(ctx context.Context) error {
	tc := c.url.TCURL()
	if c.cfg.QueryInTCURL && c.url.RawQuery != "" {
		tc += "?" + c.url.RawQuery
	}
	obj := amf0.Object{
		{Key: "app", Value: c.url.App},
		{Key: "type", Value: "nonprivate"},
		{Key: "flashVer", Value: c.cfg.FlashVer},
		{Key: "tcUrl", Value: tc},
	}
	if len(c.cfg.FourCCList) > 0 {
		l := make(amf0.StrictArray, len(c.cfg.FourCCList))
		for i, f := range c.cfg.FourCCList {
			l[i] = f
		}
		obj = append(obj, amf0.Property{Key: "fourCcList", Value: l})
	}
	obj = append(obj, c.cfg.ConnectExtra...)
	if err := c.setChunkSize(c.cfg.ChunkSize); err != nil {
		return &Error{stage: StageConnect, during: StageConnect, Err: err}
	}
	tx := c.tx()
	if err := c.sendCommand(0, &Command{Name: CmdConnect, TxID: tx, Object: obj}); err != nil {
		return withCtx(ctx, stageError(StageConnect, err))
	}
	res, err := c.awaitResult(ctx, StageConnect, tx)
	if err != nil {
		return err
	}
	c.Connect = statusOf(&res)
	return nil
}

// awaitResult reads until the _result or _error of transaction tx.
func (c *ClientConn) awaitResult(ctx context.Context, stage Stage, tx float64) (Command, error) {
	for {
		cmd, err := c.nextCommand(ctx, stage)
		if err != nil {
			return Command{}, err
		}
		if cmd.TxID != tx {
			continue
		}
		switch cmd.Name {
		case CmdResult:
			// Kingsoft's ingest answers with a _result whose object holds a
			// numeric status code: non-zero is a refusal.
			if st := statusOf(&cmd); st != nil && st.Ingest != nil && st.IsError() {
				return cmd, &Error{stage: stage, during: stage, Status: st, Err: st}
			}
			return cmd, nil
		case CmdError:
			st := statusOf(&cmd)
			if st == nil {
				st = &Status{Level: LevelError, Description: "_error without a status object"}
			}
			return cmd, &Error{stage: stage, during: stage, Status: st, Err: st}
		}
	}
}

// awaitStatus reads until an onStatus with one of the wanted codes, an
// ingest's _result with a numeric status, or an error status.
func (c *ClientConn) awaitStatus(ctx context.Context, stage Stage, want ...string) (*Status, error) {
	for {
		cmd, err := c.nextCommand(ctx, stage)
		if err != nil {
			return nil, err
		}
		if cmd.Name != CmdOnStatus && cmd.Name != CmdError && cmd.Name != CmdResult {
			continue
		}
		st := statusOf(&cmd)
		if st == nil {
			continue
		}
		if cmd.Name == CmdResult {
			// Only an ingest's numeric status in a _result (the Kingsoft
			// document's shape) settles a publish or play; other results
			// (to releaseStream, FCPublish) do not.
			if st.Ingest == nil {
				continue
			}
			if !st.IsError() {
				return st, nil
			}
		}
		if st.IsError() {
			return st, &Error{stage: stage, during: stage, Status: st, Err: st}
		}
		for _, w := range want {
			if st.Code == w {
				return st, nil
			}
		}
	}
}

func (c *ClientConn) nextCommand(ctx context.Context, stage Stage) (Command, error) {
	for {
		m, err := c.readMessage()
		if err != nil {
			return Command{}, withCtx(ctx, stageError(stage, err))
		}
		cmd, ok, err := decodeCommand(m)
		if err != nil {
			return Command{}, &Error{stage: stage, during: stage, Err: err}
		}
		if ok {
			return cmd, nil
		}
		if c.keepEarly && (m.Type == chunk.TypeVideo || m.Type == chunk.TypeAudio ||
			m.Type == chunk.TypeDataAMF0 || m.Type == chunk.TypeAggregate) && len(c.early) < maxEarly {
			// Media a server sends before NetStream.Play.Start: kept for
			// ReadMessage, not lost.
			cp := *m
			cp.Payload = bytes.Clone(m.Payload)
			c.early = append(c.early, cp)
		}
	}
}

// maxEarly bounds the messages kept from before NetStream.Play.Start.
const maxEarly = 256

func (c *ClientConn) createStream(ctx context.Context) error {
	tx := c.tx()
	if err := c.sendCommand(0, &Command{Name: CmdCreateStream, TxID: tx}); err != nil {
		return withCtx(ctx, stageError(StagePublish, err))
	}
	res, err := c.awaitResult(ctx, StagePublish, tx)
	if err != nil {
		return err
	}
	id, ok := res.Arg(0).(float64)
	if !ok || id < 0 || id > 1<<31 {
		return &Error{stage: StagePublish, during: StagePublish, Err: fmt.Errorf("rtmp: createStream result %v is not a stream id", res.Arg(0))}
	}
	c.sid = uint32(id)
	return nil
}

// Publish publishes the URL's stream ("live"): releaseStream, FCPublish,
// createStream, publish, then waits for NetStream.Publish.Start. A refusal
// is an *Error with StagePublish and the server's Status.
func (c *ClientConn) Publish(ctx context.Context) error {
	if c.mode != "" {
		return &Error{stage: StagePublish, during: StagePublish, Err: fmt.Errorf("rtmp: already %sing", c.mode)}
	}
	end := c.bound(ctx)
	defer end()
	name := c.url.StreamName()
	for _, cmd := range []Command{
		{Name: CmdReleaseStream, TxID: c.tx(), Args: []any{name}},
		{Name: CmdFCPublish, TxID: c.tx(), Args: []any{name}},
	} {
		if err := c.sendCommand(0, &cmd); err != nil {
			return withCtx(ctx, stageError(StagePublish, err))
		}
	}
	if err := c.createStream(ctx); err != nil {
		return err
	}
	if err := c.sendCommand(c.sid, &Command{Name: CmdPublish, TxID: c.tx(), Args: []any{name, "live"}}); err != nil {
		return withCtx(ctx, stageError(StagePublish, err))
	}
	if _, err := c.awaitStatus(ctx, StagePublish, CodePublishStart); err != nil {
		return err
	}
	c.mode = "publish"
	go c.readLoop()
	return nil
}

// Play plays the URL's stream: createStream, play, then waits for
// NetStream.Play.Start. Read the stream with ReadMessage.
func (c *ClientConn) Play(ctx context.Context) error {
	if c.mode != "" {
		return &Error{stage: StagePublish, during: StagePublish, Err: fmt.Errorf("rtmp: already %sing", c.mode)}
	}
	end := c.bound(ctx)
	defer end()
	if err := c.createStream(ctx); err != nil {
		return err
	}
	bl := UserControlMessage(UserControl{Event: EventSetBufferLength, Value: c.sid, BufferLength: 3000})
	if err := c.send(&bl); err != nil {
		return withCtx(ctx, stageError(StagePublish, err))
	}
	if err := c.sendCommand(c.sid, &Command{Name: CmdPlay, TxID: c.tx(), Args: []any{c.url.StreamName(), -2.0}}); err != nil {
		return withCtx(ctx, stageError(StagePublish, err))
	}
	c.keepEarly = true
	_, err := c.awaitStatus(ctx, StagePublish, CodePlayStart)
	c.keepEarly = false
	if err != nil {
		return err
	}
	c.mode = "play"
	return nil
}

// ReadMessage returns the next media, data or command message of a played
// stream; control messages are answered on the way, and Aggregate messages
// are split into their sub-messages. The end of the stream (onStatus
// NetStream.Play.Stop or .UnpublishNotify) gives io.EOF; an error status
// gives an *Error carrying it. The message is valid until the next
// call. Not for publishing connections.
func (c *ClientConn) ReadMessage() (*Message, error) {
	if c.mode == "publish" {
		return nil, errors.New("rtmp: ReadMessage on a publishing connection")
	}
	for {
		if len(c.early) > 0 && len(c.agg.rest) == 0 {
			c.sub = c.early[0]
			c.early = c.early[1:]
			if c.sub.Type == chunk.TypeAggregate {
				c.agg = newAggregateIter(&c.sub)
				continue
			}
			return &c.sub, nil
		}
		if ok, err := c.agg.next(&c.sub); err != nil {
			c.agg = aggregateIter{}
			return nil, &Error{stage: StageClose, during: StageClose, Err: err}
		} else if ok {
			return &c.sub, nil
		}
		m, err := c.readMessage()
		if err != nil {
			return nil, stageError(StageClose, err)
		}
		if m.Type == chunk.TypeCommandAMF0 || m.Type == chunk.TypeCommandAMF3 {
			if cmd, err := ParseCommand(m); err == nil && cmd.Name == CmdOnStatus {
				if st := statusOf(&cmd); st != nil {
					switch {
					case st.IsError():
						return nil, &Error{stage: StageClose, during: StageClose, Status: st, Err: st}
					case st.Code == CodePlayStop || st.Code == CodePlayUnpublishNotify:
						return nil, io.EOF
					}
				}
			}
		}
		if m.Type != chunk.TypeAggregate {
			return m, nil
		}
		// The aggregate's buffer stays lent until the next readMessage,
		// which happens only once its sub-messages are all returned.
		c.agg = newAggregateIter(m)
	}
}

// readLoop serves a publishing connection's incoming side until the
// connection closes.
func (c *ClientConn) readLoop() {
	defer close(c.done)
	for {
		m, err := c.readMessage()
		if err != nil {
			if !c.closing.Load() {
				c.fail(stageError(StageClose, err))
			}
			return
		}
		cmd, ok, err := decodeCommand(m)
		if err != nil || !ok || cmd.Name != CmdOnStatus {
			continue
		}
		if st := statusOf(&cmd); st != nil && st.IsError() {
			c.fail(&Error{stage: StageClose, during: StageClose, Status: st, Err: st})
			_ = c.nc.Close()
			return
		}
	}
}

// closeLinger bounds how long Close waits for the server to read what was
// sent and hang up.
const closeLinger = 2 * time.Second

// linger half-closes a publishing connection and waits (bounded) until the
// server has read everything and hung up. Closing at once could reset the
// connection (data from the server still unread) and the reset makes the
// server discard what it had not read yet: the stream's last frames.
// Transports that cannot half-close are closed at once.
func (c *ClientConn) linger() {
	hc, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || hc.CloseWrite() != nil {
		return
	}
	if c.nc.SetReadDeadline(c.clk.Now().Add(closeLinger)) != nil {
		return
	}
	<-c.done // the reader sees the server's end, or the deadline
}

func (c *ClientConn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// Err returns why the connection ended (nil while it is up or after a
// clean Close).
func (c *ClientConn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done is closed when a publishing connection's reader ends.
func (c *ClientConn) Done() <-chan struct{} { return c.done }

// URL returns the parsed URL.
func (c *ClientConn) URL() URL { return c.url }

// StreamID returns the message stream id from createStream.
func (c *ClientConn) StreamID() uint32 { return c.sid }

// LocalAddr and RemoteAddr return the transport's addresses.
func (c *ClientConn) LocalAddr() net.Addr  { return c.nc.LocalAddr() }
func (c *ClientConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// WriteVideo sends one FLV video tag body (legacy or Enhanced RTMP) with
// one socket write.
func (c *ClientConn) WriteVideo(ts Timestamp, tag []byte) error {
	return c.writeMedia(CSIDVideo, chunk.TypeVideo, ts, tag)
}

// WriteAudio sends one FLV audio tag body with one socket write.
func (c *ClientConn) WriteAudio(ts Timestamp, tag []byte) error {
	return c.writeMedia(CSIDAudio, chunk.TypeAudio, ts, tag)
}

func (c *ClientConn) writeMedia(csid uint32, typ TypeID, ts Timestamp, p []byte) error {
	m := Message{CSID: csid, Type: typ, StreamID: c.sid, Timestamp: ts, Payload: p}
	if err := c.send(&m); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

// WriteMessages sends a batch with one socket write. Messages with CSID 0
// get the chunk stream of their type; media, data and command messages go
// on the stream's id, protocol control messages on stream 0.
func (c *ClientConn) WriteMessages(ms []Message) error {
	for i := range ms {
		if ms[i].Type > chunk.TypeSetPeerBandwidth {
			ms[i].StreamID = c.sid
		} else {
			ms[i].StreamID = 0
		}
		if ms[i].CSID == 0 {
			ms[i].CSID = csidFor(ms[i].Type)
		}
	}
	if err := c.sendBatch(ms); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

func csidFor(t TypeID) uint32 {
	if t <= chunk.TypeSetPeerBandwidth {
		return CSIDControl
	}
	switch t {
	case chunk.TypeVideo:
		return CSIDVideo
	case chunk.TypeAudio:
		return CSIDAudio
	case chunk.TypeDataAMF0, chunk.TypeDataAMF3:
		return CSIDData
	}
	return CSIDCommand
}

// WriteData sends an AMF0 data message (RP8 metadata objects, for
// example) at timestamp ts.
func (c *ClientConn) WriteData(ts Timestamp, d Data) error {
	m, err := d.Message(c.sid, ts)
	if err != nil {
		return err
	}
	if err := c.send(&m); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

// WriteMetadata sends "@setDataFrame" "onMetaData" md.
func (c *ClientConn) WriteMetadata(md amf0.ECMAArray) error {
	return c.WriteData(0, SetDataFrame(md))
}

// Close ends the stream politely (FCUnpublish and deleteStream when
// publishing, in one write, best effort) and closes the connection. It
// returns an *Error with StageClose when that fails.
func (c *ClientConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		if c.mode == "publish" && c.Err() == nil {
			name := c.url.StreamName()
			var batch []Message
			for _, cmd := range []struct {
				sid uint32
				c   Command
			}{
				{0, Command{Name: CmdFCUnpublish, TxID: c.tx(), Args: []any{name}}},
				{0, Command{Name: CmdDeleteStream, TxID: c.tx(), Args: []any{float64(c.sid)}}},
			} {
				if m, e := cmd.c.Message(cmd.sid); e == nil {
					batch = append(batch, m)
				}
			}
			if e := c.sendBatch(batch); e != nil {
				err = &Error{stage: StageClose, during: StageClose, Err: e}
			} else {
				c.closing.Store(true)
				c.linger()
			}
		}
		c.closing.Store(true)
		if e := c.nc.Close(); e != nil && err == nil {
			err = &Error{stage: StageClose, during: StageClose, Err: e}
		}
		if c.mode == "publish" {
			<-c.done
		}
		c.r.Release()
	})
	return err
}
