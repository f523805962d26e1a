package push

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

type connState uint8

const (
	stateConnecting connState = iota
	stateUp
	stateEnded
)

type itemKind uint8

const (
	itemFrame itemKind = iota
	itemMeta
)

// item is one queued message.
type item struct {
	kind     itemKind
	f        *av.Frame
	key      bool
	observed bool
	size     int64
	meta     amf0.Object
	metaType MetaType
	seg      uint64
	wparam   int64
}

// conn is one connection: its queue and state (guarded by the SDK's lock)
// and its goroutine, which connects and then is the connection's only
// writer.
type conn struct {
	s      *SDK
	id     ConnID
	target target
	cb     Callback
	ctx    context.Context
	cancel context.CancelFunc

	// guarded by s.mu
	state     connState
	ended     bool // the goroutine is done with the connection
	closing   bool // Close was called: finish the queue, then close
	queue     []item
	qHead     int
	qBytes    int64
	writing   bool // the sender holds an item
	paused    bool
	needIDR   string // why video waits for an IDR ("" when it does not)
	segOpen   bool   // a stream start was queued without its end
	segSeq    uint64
	lastWrite time.Time
	hbArmed   bool
	hbTimer   clock.Timer
	nc        net.Conn // the transport, for aborting
	led       ledger

	wake chan struct{}
	hb   chan struct{}

	flushArmed bool        // the flush timer will wake the sender
	flushTimer clock.Timer // FlushDelay's timer

	// direct writes (direct.go): the transport takes non-blocking writes,
	// so whoever queues on an idle connection writes the batch itself
	direct  bool
	owed    bool  // a direct write left bytes buffered: the sender flushes them and ends the batch
	owedN   int   // … how many batch items were encoded
	owedErr error // … and the encode error of the next one
	failed  error // a direct write failed: the sender ends the connection

	// sender goroutine only
	rc         *rtmp.ClientConn
	batch      []item     // what the sender is writing
	starts     []uint64   // stream offset of each batch item
	metas      []metaNote // the batch's segment messages
	tagHdr     []byte     // the frame tag's own bytes (flv.AppendVideoTagParts)
	parts      [][]byte   // the tag body's pieces, cleared after each frame
	hdr        paramCache // parameter sets of the last video sequence header sent
	sentMeta   bool       // onMetaData sent
	audioHdr   bool       // the AAC sequence header is due before the next audio frame
	wireSeg    bool       // a stream start was written without its end
	wireSegSeq uint64
	lastTS     rtmp.Timestamp
	lastVideo  time.Duration
	lastAudio  time.Duration
}

func newConn(s *SDK, id ConnID, t target, cb Callback) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{s: s, id: id, target: t, cb: cb, ctx: ctx, cancel: cancel, needIDR: observe.ReasonNotIDR,
		wake: make(chan struct{}, 1), hb: make(chan struct{}, 1), audioHdr: true}
}

// mediaErrorLocked reports a refused frame or call through the callback
// and returns it as an error.
func (c *conn) mediaErrorLocked(code Event, msg string) error {
	c.s.n.add(c.cb, c.id, code, int64(code), 0)
	return &Error{Code: code, Msg: msg}
}

// enqueueLocked queues a message and sees that it gets written: it
// reports true when the caller is to write it now itself (writeDirect,
// after releasing s.mu), else the sender goroutine or the gathering
// timer will.
func (c *conn) enqueueLocked(it item) (direct bool) {
	c.queue = append(c.queue, it)
	c.qBytes += it.size
	c.s.used += it.size
	o := &c.s.opts
	video := it.kind == itemFrame && it.f.Codec.IsVideo()
	if d := o.FlushDelay; d > 0 && c.s.used <= c.s.pool/4 && !(o.FlushOnVideo && video) {
		// gather: one timer per flush, whatever is queued meanwhile goes
		// out with the same socket write
		if !c.flushArmed {
			c.flushArmed = true
			if c.flushTimer == nil {
				c.flushTimer = c.s.deps.Clock.AfterFunc(d, c.flushDue)
			} else {
				c.flushTimer.Reset(d)
			}
		}
		return false
	}
	if c.takeDirectLocked() {
		return true
	}
	c.signal()
	return false
}

// signal wakes the sender (without blocking; one pending wake is enough).
func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) pauseLocked() {
	if c.paused {
		return
	}
	c.paused = true
	c.s.observe(observe.Observation{Kind: observe.PushPaused, Size: c.qBytes})
	c.s.n.add(c.cb, c.id, EventPause, 0, 0)
}

func (c *conn) closeLocked() {
	if c.closing {
		return
	}
	c.closing = true
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// abortLocked ends the connection now (Uninitialize, Detach).
func (c *conn) abortLocked() {
	c.cancel()
	if c.nc != nil {
		c.nc.Close()
	}
}

// run is the connection's goroutine.
func (c *conn) run() {
	defer c.s.wg.Done()
	rc, code, err := c.connect()
	if err != nil {
		c.connectFailed(code, err)
		return
	}
	s := c.s
	s.mu.Lock()
	if c.ctx.Err() != nil {
		s.mu.Unlock()
		rc.Close()
		c.connectFailed(EventClose, errStopped)
		return
	}
	c.rc = rc
	c.state = stateUp
	c.direct = rc.CanTryFlush()
	s.settled = true
	c.lastWrite = s.deps.Clock.Now()
	s.observe(observe.Observation{Kind: observe.ConnUp, Code: int(EventConnectSuccess), Reason: "success"})
	s.n.add(c.cb, c.id, EventConnectSuccess, 0, 0)
	s.mu.Unlock()
	s.n.flush()
	c.loop()
}

// connect runs the connect stages on the clock's timeout.
func (c *conn) connect() (*rtmp.ClientConn, Event, error) {
	s := c.s
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	var timedOut atomic.Bool
	t := s.deps.Clock.AfterFunc(s.opts.ConnectTimeout, func() { timedOut.Store(true); cancel() })
	defer t.Stop()
	stage := func(code Event, err error) (*rtmp.ClientConn, Event, error) {
		if timedOut.Load() {
			code = EventSetTimeout
		}
		return nil, code, err
	}
	raw, token := c.target.url, c.target.token
	if c.target.req != nil {
		rep, err := c.target.tokens.Token(ctx, *c.target.req)
		if err != nil {
			var refusal *cloudapi.Error
			if errors.As(err, &refusal) {
				return stage(EventInvalidParam, err)
			}
			return stage(EventSocketFailed, err)
		}
		raw, token = rep.URL, rep.Token
	}
	raw = withToken(raw, token)
	u, err := rtmp.ParseURL(raw)
	if err != nil {
		return stage(EventInvalidURL, err)
	} else if u.Stream == "" {
		return stage(EventInvalidURL, errors.New("URL without a stream name (rtmp://host:port/$app/$stream/$time)"))
	}
	if s.opts.Signer != nil {
		q, _ := url.ParseQuery(u.RawQuery)
		for k, v := range s.opts.Signer.Sign(u.Stream, s.deps.Clock.Now().Add(s.opts.SignTTL)) {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		raw = u.String()
	}
	dial := s.deps.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	cfg := rtmp.ClientConfig{
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			s.mu.Lock()
			c.nc = nc
			if c.ctx.Err() != nil {
				nc.Close()
			}
			s.mu.Unlock()
			return nc, nil
		},
		Clock:        s.deps.Clock,
		ChunkSize:    s.opts.ChunkSize,
		WriteTimeout: s.opts.WriteTimeout,
		Rand:         s.deps.Rand,
		Pool:         buffers,
	}
	if s.opts.HEVC == flv.HEVCEnhanced {
		cfg.FourCCList = []string{"hvc1", "avc1"}
	}
	rc, err := rtmp.Dial(ctx, raw, cfg)
	if err != nil {
		return stage(Event(rtmp.StageOf(err)), err)
	}
	if err := rc.Publish(ctx); err != nil {
		rc.Close()
		return stage(Event(rtmp.StageOf(err)), err)
	}
	return rc, EventConnectSuccess, nil
}

func (c *conn) connectFailed(code Event, err error) {
	s := c.s
	s.mu.Lock()
	c.state, c.ended = stateEnded, true
	s.settled = true
	if !s.detached {
		s.observe(observe.Observation{Kind: observe.ConnFailed, Code: int(code), Reason: code.String()})
		s.n.add(c.cb, c.id, code, int64(code), 0)
	}
	c.dropQueueLocked()
	s.forgetLocked(c)
	s.mu.Unlock()
	s.n.flush()
}

// dropQueueLocked gives queued frames their fate when the connection ends.
func (c *conn) dropQueueLocked() {
	s := c.s
	for i := c.qHead; i < len(c.queue); i++ {
		it := &c.queue[i]
		if it.kind == itemFrame && it.observed && !s.detached {
			s.observe(observe.Observation{Kind: observe.FrameDropped, Stream: streamOf(it.f.Codec), Seq: it.f.Seq,
				Reason: observe.ReasonConnReset})
		}
		s.used -= it.size
		*it = item{}
	}
	c.queue, c.qHead, c.qBytes = nil, 0, 0
}

// maxBatch bounds what the sender encodes before one socket write.
const maxBatch = 256 * int64(units.KiB)

// loop sends queued messages until the connection ends: everything queued
// when the sender looks (up to maxBatch) goes out with one socket write.
// On a connection with direct writes the sender only finishes what a
// direct write could not (the rest of a batch the socket did not take at
// once, a failure), what was queued while another write was under way,
// heartbeats and the close.
func (c *conn) loop() {
	s := c.s
	for {
		select {
		case <-c.rc.Done():
			err := c.rc.Err()
			if err == nil {
				err = errors.New("connection closed by the server")
			}
			c.finish(err)
			return
		default:
		}
		s.mu.Lock()
		if err := c.failed; err != nil {
			s.mu.Unlock()
			c.finish(err)
			return
		}
		if c.owed {
			n, encErr := c.owedN, c.owedErr
			c.owed, c.owedErr = false, nil
			s.mu.Unlock()
			done, err := c.flushed(n, encErr, c.rc.Flush())
			if c.afterWrite(done, err) {
				return
			}
			continue
		}
		if c.writing || c.qHead == len(c.queue) {
			if !c.writing {
				// idle (a direct write in progress ends with a signal)
				c.queue, c.qHead = c.queue[:0], 0
				if c.closing {
					s.mu.Unlock()
					c.finish(nil)
					return
				}
			}
			c.armHeartbeatLocked()
			s.mu.Unlock()
			select {
			case <-c.ctx.Done():
				c.finish(errStopped)
				return
			case <-c.rc.Done():
				continue
			case <-c.wake:
			case <-c.hb:
				if err := c.heartbeat(); err != nil {
					c.finish(err)
					return
				}
			}
			continue
		}
		c.takeBatchLocked()
		s.mu.Unlock()

		done, err := c.writeBatch()
		if c.afterWrite(done, err) {
			return
		}
	}
}

// afterWrite ends a batch the sender wrote: the bookkeeping, then the
// connection's end after a failure or an abort (reported true).
func (c *conn) afterWrite(done int, err error) bool {
	c.complete(done, err)
	c.s.n.flush()
	if err != nil {
		c.finish(err)
		return true
	}
	if c.ctx.Err() != nil {
		c.finish(errStopped)
		return true
	}
	return false
}

// complete accounts a written batch: done items left the device (their
// pool bytes are free, their frames go to the ledger), the rest go back
// to the queue's head; a paused connection may resume. It reports whether
// more is queued. The caller flushes the notifier.
func (c *conn) complete(done int, err error) (more bool) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c.writing = false
	for i := range c.batch[:done] {
		it := &c.batch[i]
		c.qBytes -= it.size
		s.used -= it.size
		if it.kind == itemFrame && it.observed && s.deps.Receipts != nil {
			c.led.add(frameRef{streamOf(it.f.Codec), it.f.Seq})
			if len(c.led.pending()) >= settleEvery {
				c.led.settle(s.deps.Receipts, s.opts.Device, s.opts.Channel)
			}
		}
	}
	if done < len(c.batch) {
		// not written (an earlier item failed): back to the queue's
		// head, where the connection's end gives them their fate
		rest := make([]item, 0, len(c.batch)-done+len(c.queue)-c.qHead)
		rest = append(rest, c.batch[done:]...)
		c.queue, c.qHead = append(rest, c.queue[c.qHead:]...), 0
	}
	clear(c.batch)
	c.batch = c.batch[:0]
	c.lastWrite = s.deps.Clock.Now()
	if err == nil && c.paused && (s.pool-s.used > s.pool/3 || c.qHead == len(c.queue)) {
		c.paused = false
		s.observe(observe.Observation{Kind: observe.PushResumed, Size: c.qBytes})
		s.n.add(c.cb, c.id, EventResume, 0, 0)
	}
	if c.qHead == len(c.queue) {
		c.queue, c.qHead = c.queue[:0], 0
		return false
	}
	return true
}

// takeBatchLocked moves the queue's head into the sender's batch: one
// item when the SDK writes as it goes (FlushDelay 0: a write blocked by the
// network holds one frame, the rest stay in the pool), else everything
// queued up to maxBatch bytes. s.mu held.
func (c *conn) takeBatchLocked() {
	if c.flushArmed {
		// written before the delay ran out (a video frame, the pool's
		// quarter, a close): no wake-up for nothing
		c.flushTimer.Stop()
		c.flushArmed = false
	}
	limit := maxBatch
	if c.s.opts.FlushDelay <= 0 {
		limit = 0
	}
	var n int64
	for c.qHead < len(c.queue) && (len(c.batch) == 0 || n+c.queue[c.qHead].size <= limit) {
		it := &c.queue[c.qHead]
		n += it.size
		c.batch = append(c.batch, *it)
		*it = item{}
		c.qHead++
	}
	c.writing = true
}

// writeBatch encodes the batch into the send buffer and writes it with one
// Flush, which may block (sender goroutine).
func (c *conn) writeBatch() (done int, err error) {
	n, encErr := c.encodeBatch()
	return c.flushed(n, encErr, c.rc.Flush())
}

// encodeBatch encodes the batch into the send buffer: n items, and the
// encode error of item n when it failed.
func (c *conn) encodeBatch() (n int, err error) {
	c.starts = c.starts[:0]
	for i := range c.batch {
		var at uint64
		if i > 0 {
			// reached reads the starts of items after the first only: a
			// batch of one (a frame written at once) needs no offset
			at = c.rc.Offset()
		}
		c.starts = append(c.starts, at)
		if err = c.write(&c.batch[i]); err != nil {
			return i, err
		}
	}
	return len(c.batch), nil
}

// flushed ends a batch once its flush is over (ferr its error; n and
// encErr from encodeBatch): done counts the items written or tried: the
// first always (as when items went out one by one), a later one when its
// bytes started to reach the socket. After a failure the rest never left
// the device, and go back to the queue. The batch's segment messages that
// were written take effect on the wire state.
func (c *conn) flushed(n int, encErr, ferr error) (done int, err error) {
	c.metaSent(ferr == nil)
	if ferr != nil {
		return c.reached(n), ferr
	}
	if encErr != nil {
		return n + 1, encErr // the item that failed counts as tried
	}
	return len(c.batch), nil
}

// reached is how many of the first n batch items reached the socket after
// a failure: at least one, then every item whose first byte was written.
func (c *conn) reached(n int) int {
	w := c.rc.Written()
	done := min(1, len(c.batch))
	for done < n && c.starts[done] < w {
		done++
	}
	return done
}

func (c *conn) armHeartbeatLocked() {
	if c.hbArmed {
		return
	}
	c.hbArmed = true
	d := c.lastWrite.Add(c.s.opts.Heartbeat).Sub(c.s.deps.Clock.Now())
	if d <= 0 && !c.writing {
		select {
		case c.hb <- struct{}{}:
		default:
		}
		return
	}
	if d <= 0 {
		// a direct write is under way: look again once it is old
		d = c.s.opts.Heartbeat
	}
	if c.hbTimer != nil {
		c.hbTimer.Reset(d) // one timer per connection, re-armed
		return
	}
	c.hbTimer = c.s.deps.Clock.AfterFunc(d, c.heartbeatDue)
}

// heartbeatDue is the heartbeat timer's callback. On a connection that
// wrote since the timer was armed (direct writes do not wake the sender,
// so it does not re-arm) the timer is re-armed for Heartbeat after that
// write, here, without waking the sender: a streaming camera costs no
// sender wake-up every Heartbeat. Otherwise the sender looks (it sends
// the heartbeat when the connection is still idle).
func (c *conn) heartbeatDue() {
	s := c.s
	s.mu.Lock()
	if c.state != stateUp {
		s.mu.Unlock()
		return
	}
	if d := c.lastWrite.Add(s.opts.Heartbeat).Sub(s.deps.Clock.Now()); d > 0 && c.hbArmed {
		c.hbTimer.Reset(d)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	select {
	case c.hb <- struct{}{}:
	default:
	}
}

// heartbeat sends a ping request when nothing was written for Heartbeat.
func (c *conn) heartbeat() error {
	s := c.s
	s.mu.Lock()
	c.hbArmed = false
	now := s.deps.Clock.Now()
	idle := now.Sub(c.lastWrite) >= s.opts.Heartbeat && c.qHead == len(c.queue) && !c.writing
	if idle {
		c.lastWrite = now
		c.writing = true // no direct write meanwhile
	}
	s.mu.Unlock()
	if !idle {
		return nil
	}
	ping := rtmp.UserControlMessage(rtmp.UserControl{Event: rtmp.EventPingRequest, Value: uint32(now.UnixMilli())})
	err := c.rc.WriteMessages([]rtmp.Message{ping})
	s.mu.Lock()
	c.writing = false
	s.mu.Unlock()
	return err
}

// finish ends a connection that was up: err nil is a clean close (0x08),
// anything else a send failure (0x60).
func (c *conn) finish(err error) {
	s := c.s
	if err != nil && c.ctx.Err() != nil {
		err = errStopped // aborted by Uninitialize: whatever the write said
	}
	if err == nil {
		if cerr := c.rc.Close(); cerr != nil {
			err = cerr
		}
	} else {
		if c.nc != nil {
			c.nc.Close()
		}
		c.rc.Close()
	}
	s.mu.Lock()
	c.state, c.ended = stateEnded, true
	if c.hbTimer != nil {
		c.hbTimer.Stop()
	}
	if c.flushTimer != nil {
		c.flushTimer.Stop()
	}
	if !s.detached {
		reason := "closed"
		if c.wireSeg {
			if err != nil {
				reason = observe.ReasonConnReset
			}
			s.observe(observe.Observation{Kind: observe.SegmentEnded, Seq: c.wireSegSeq, Reason: reason})
		}
		if err == nil || errors.Is(err, errStopped) {
			s.observe(observe.Observation{Kind: observe.ConnClosed, Code: int(EventClose), Reason: "closed"})
			if err == nil {
				s.n.add(c.cb, c.id, EventClose, 0, 0)
			}
		} else {
			s.observe(observe.Observation{Kind: observe.ConnClosed, Code: int(EventSendThreadExit), Reason: "send_thread_exit"})
			s.n.add(c.cb, c.id, EventSendThreadExit, int64(rtmp.StageOf(err)), 0)
		}
		c.dropQueueLocked()
		c.scheduleLostLocked()
	}
	s.forgetLocked(c)
	s.mu.Unlock()
	s.n.flush()
}

// lostCheck is a pending decision on a dead connection's written frames.
type lostCheck struct {
	t clock.Timer
}

// scheduleLostLocked decides, LostGrace from now, which frames written to
// this connection the cloud never accounted: they are lost.
func (c *conn) scheduleLostLocked() {
	s := c.s
	if s.deps.Receipts == nil || len(c.led.pending()) == 0 {
		return
	}
	lc := &lostCheck{}
	s.timers[lc] = struct{}{}
	lc.t = s.deps.Clock.AfterFunc(s.opts.LostGrace, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.timers[lc]; !ok {
			return // detached meanwhile
		}
		delete(s.timers, lc)
		at := s.deps.Clock.Now()
		for _, r := range c.led.unaccounted(s.deps.Receipts, s.opts.Device, s.opts.Channel) {
			s.observe(observe.Observation{At: at, Kind: observe.FrameLost, Stream: r.stream, Seq: r.seq, Reason: observe.ReasonConnReset})
		}
		c.led = ledger{}
	})
}
