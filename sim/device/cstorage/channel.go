package cstorage

import (
	"math"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Reasons of FrameDropped specific to this SDK (the shared ones are in
// sim/observe).
const (
	ReasonNotInit      = "sdk_not_init"             // PushStream before Init or after Exit
	ReasonNotRecording = observe.ReasonNotRecording // valid plan, no recording, no pre-record ring
	ReasonPreRecordOut = "prerecord_discarded"      // aged out of the pre-record ring or not needed
)

// channel is the per-channel state of the SDK. What every pushed frame
// reads comes first: verdicts, flags, the send buffer and the slicer's
// state (in a fleet the channel is cold when its next frame comes).
type channel struct {
	idx int

	planValid    bool  // planOK, cached when the plan changes
	pushing      bool  // push-start delivered: recording
	needIDR      bool  // the recorded stream must (re)start with an IDR (CS10)
	startTold    int64 // UnixNano when the push-start callback returned (MaxInt64 while queued)
	dropUntilIDR bool  // the send buffer was full (CS13)
	idle         bool  // paused for lack of data (CS15)
	connDown     bool  // a connect failure was notified, not yet recovered
	polling      bool
	planKnown    bool
	wm           int // last watermark level notified (0: none yet)

	buf       frameQueue // send buffer (CS12)
	open      *slice     // the slice being filled
	queue     []*slice   // cut, waiting for the uploader
	uploading *slice     // in the uploader (attempting or between retries)
	lastData  time.Time  // last frame pushed while recording
	idleTimer *timer

	cfg  ChannelConfig
	plan cloudapi.Plan

	events   map[int]*event // active events by id
	ring     frameQueue     // pre-record ring (CS8)
	sliceSeq uint64
	records  []SliceRecord
	body     []byte // reusable mux buffer when no DumpFile callback keeps bodies
}

func newChannel(i int, cc ChannelConfig) *channel {
	return &channel{idx: i, cfg: cc, events: map[int]*event{}}
}

func (c *channel) release() {
	c.buf.reset()
	c.ring.reset()
	c.open, c.queue, c.uploading, c.records = nil, nil, nil, nil
	c.events = nil
}

// planOK reports whether the channel has a valid plan of some kind.
func (c *channel) planOK() bool { return c.planValid }

// setPlan records the cloud's plan and the planOK verdict on it.
func (c *channel) setPlan(p cloudapi.Plan) {
	c.plan, c.planKnown = p, true
	c.planValid = p.Valid && p.Kind != cloudapi.PlanNone && p.Kind != ""
}

// continuous reports whether the plan records all the time (CS3).
func (c *channel) continuous() bool {
	return c.planOK() && (c.plan.Kind == cloudapi.PlanFullTime || c.plan.Kind == cloudapi.PlanFreeTrial)
}

func (c *channel) wantRecording() bool {
	return c.continuous() || (c.planOK() && len(c.events) > 0)
}

func streamOf(f *av.Frame) observe.Stream {
	if f.Codec.IsVideo() {
		return observe.Video
	}
	return observe.Audio
}

// drop emits FrameDropped for f; s.mu held.
func (s *SDK) drop(ch int, f *av.Frame, reason string) { s.dropAt(s.clk.Now(), ch, f, reason) }

// dropAt is drop at a time the caller read from the clock already.
func (s *SDK) dropAt(at time.Time, ch int, f *av.Frame, reason string) {
	s.dropSized(at, ch, f, f.Size(), reason)
}

// dropSized is dropAt for a frame of the given size (a frame's head, read
// back from a slice, has no bytes).
func (s *SDK) dropSized(at time.Time, ch int, f *av.Frame, size int, reason string) {
	s.stats.DroppedFrames[reason]++
	s.emitAt(at, observe.Observation{Kind: observe.FrameDropped, Channel: ch, Stream: streamOf(f), Seq: f.Seq, Size: int64(size), Reason: reason})
}

// PushStream is iv_cs_push_stream for one video or audio frame. Like the
// real SDK, which copies a frame into its buffer, it keeps a copy of what
// it needs of f (its fields and NAL unit list; the bytes by reference):
// the caller may reuse f and its NAL unit list once the call returns, but
// must not modify the bytes. Every frame yields FrameSent; a refused or discarded one FrameDropped
// with the reason, and the call returns the error the documents give.
func (s *SDK) PushStream(ch int, f *av.Frame) error {
	if f == nil {
		return newErr("PushStream", CodeInvalidParam, "nil frame")
	}
	s.mu.Lock()
	err := s.push(ch, f)
	s.unlockFlush()
	return err
}

func (s *SDK) push(ch int, f *av.Frame) error {
	// one clock reading stamps the frame's observations, its device time
	// and the channel's last data
	now := s.clk.Now()
	if !s.inited || s.exiting {
		s.sink.Observe(observe.Observation{At: now, Kind: observe.FrameSent, Device: s.devIdx, Channel: ch, Stream: streamOf(f), Seq: f.Seq, Size: int64(f.Size())})
		s.sink.Observe(observe.Observation{At: now, Kind: observe.FrameDropped, Device: s.devIdx, Channel: ch, Stream: streamOf(f), Seq: f.Seq, Size: int64(f.Size()), Reason: ReasonNotInit})
		return newErr("PushStream", CodeNotInit, "not initialised")
	}
	size := sizeOf(f)
	s.emitAt(now, observe.Observation{Kind: observe.FrameSent, Channel: ch, Stream: streamOf(f), Seq: f.Seq, Size: int64(size)})
	if ch < 0 || ch >= len(s.chans) {
		s.dropAt(now, ch, f, observe.ReasonBadMedia)
		return newErr("PushStream", CodeInvalidParam, "channel %d of %d", ch, len(s.chans))
	}
	if f.Codec == av.CodecUnknown || size == 0 {
		s.dropAt(now, ch, f, observe.ReasonBadMedia)
		return newErr("PushStream", CodeInvalidParam, "frame %d: codec %v, %d bytes", f.Seq, f.Codec, size)
	}
	c := s.chans[ch]
	if !c.planOK() {
		s.dropAt(now, ch, f, observe.ReasonNoService)
		return newErr("PushStream", CodeNoService, "no valid plan")
	}
	utc := now.UnixNano() + int64(s.skew) // = now.Add(s.skew).UnixNano()
	if !c.pushing {
		if c.cfg.PreRecord <= 0 {
			s.dropAt(now, ch, f, ReasonNotRecording)
			return nil
		}
		c.ring.pushSized(f, utc, size)
		for c.ring.len() > 1 {
			_, oldest := c.ring.peek(0)
			if utc-oldest <= int64(c.cfg.PreRecord) {
				break
			}
			old, _ := c.ring.pop()
			s.dropAt(now, ch, old, ReasonPreRecordOut)
		}
		return nil
	}
	c.lastData = now
	if c.idleTimer == nil {
		s.armIdle(c, c.cfg.IdleTimeout)
	}
	if c.idle {
		c.idle = false
		c.needIDR = true
	}
	if c.needIDR {
		if !startsStream(f) {
			// A frame captured before the push-start callback had returned
			// was made before the firmware could ask for the IDR (its
			// encoder races the callback, on a real camera too): dropped by
			// design (awaiting_idr). A stream captured after it that does
			// not open with an IDR is the firmware's error (first_not_idr).
			reason := observe.ReasonNotIDR
			if !f.Capture.IsZero() && f.Capture.UnixNano() < c.startTold {
				reason = observe.ReasonAwaitIDR
			}
			s.dropAt(now, ch, f, reason)
			return newErr("PushStream", CodeFirstNotIDR, "frame %d is not an IDR with parameter sets", f.Seq)
		}
		c.needIDR = false
		c.dropUntilIDR = false
	}
	if c.dropUntilIDR {
		if !isKeyVideo(f) {
			s.dropAt(now, ch, f, observe.ReasonBufferFull)
			return newErr("PushStream", CodePushFailed, "dropping until the next IDR")
		}
		c.dropUntilIDR = false
	}
	if c.buf.bytes+size > c.cfg.MaxGopSize {
		c.dropUntilIDR = true
		s.dropAt(now, ch, f, observe.ReasonBufferFull)
		return newErr("PushStream", CodePushFailed, "send buffer full (%v of %v)", c.buf.bytes, c.cfg.MaxGopSize)
	}
	if c.buf.len() == 0 && c.uploading == nil && len(c.queue) == 0 && c.belowLow(size) && !s.viaQueue {
		// The steady state: nothing waits, so the frame would be queued
		// and popped at once, below every watermark both times (no
		// crossing to tell). It goes to the slicer directly.
		s.sliceAdd(c, f, utc)
		return nil
	}
	c.buf.pushSized(f, utc, size)
	s.watermark(c)
	s.drain(c)
	return nil
}

// belowLow reports whether a send buffer holding size bytes is below the
// low watermark with no higher mark notified (or has no watermarks): the
// frame queued there and popped at once would notify nothing.
func (c *channel) belowLow(size units.ByteSize) bool {
	w := c.cfg.Watermarks
	return !w.Enabled || (size < w.Low && c.wm <= observe.LevelLow)
}

// armIdle arms the idle timer of a recording channel to fire d from now
// (CS15). Frames only move lastData; when the timer fires early it re-arms
// for the rest, so a steady stream costs no timer work per frame.
func (s *SDK) armIdle(c *channel, d time.Duration) {
	s.stopTimer(c.idleTimer)
	c.idleTimer = s.after(d, func() {
		c.idleTimer = nil
		if !c.pushing || c.idle {
			return
		}
		if rest := c.cfg.IdleTimeout - s.clk.Now().Sub(c.lastData); rest > 0 {
			s.armIdle(c, rest)
			return
		}
		c.idle = true
		c.needIDR = true
		s.flushRecording(c)
	})
}

// watermark notifies edge-triggered watermark crossings (CS13); s.mu held.
// Rising through a mark notifies its level; falling below the low mark
// after a warn or high notifies low (congestion cleared).
func (s *SDK) watermark(c *channel) {
	w := c.cfg.Watermarks
	if !w.Enabled {
		return
	}
	occ := c.buf.bytes
	lvl := 0
	switch {
	case occ >= w.High:
		lvl = observe.LevelHigh
	case occ >= w.Warn:
		lvl = observe.LevelWarn
	case occ >= w.Low:
		lvl = observe.LevelLow
	case c.wm > observe.LevelLow:
		lvl = observe.LevelLow
	default:
		lvl = c.wm
	}
	if lvl == c.wm {
		return
	}
	c.wm = lvl
	s.emit(observe.Observation{Kind: observe.Watermark, Channel: c.idx, Code: lvl, Size: int64(occ)})
	s.notify(c.idx, Notice{Kind: NoticeKind(lvl)})
}

// notify queues a Notify callback; s.mu held.
func (s *SDK) notify(ch int, n Notice) {
	if s.cb.Notify == nil {
		return
	}
	cb := s.cb.Notify
	s.enqueue(func() { cb(ch, n) })
}

// drain moves frames from the send buffer into the slicer while the
// uploader is free: the upload connection streams the open slice, and
// frames wait in the buffer only while a finished slice is being sent.
func (s *SDK) drain(c *channel) {
	for c.uploading == nil && len(c.queue) == 0 && c.buf.len() > 0 {
		f, utc := c.buf.pop()
		s.sliceAdd(c, f, utc)
	}
	s.watermark(c)
}

// updateRecording starts or stops recording to match plan and events
// (CS3, CS4, CS6); s.mu held.
func (s *SDK) updateRecording(c *channel) {
	want := c.wantRecording()
	switch {
	case want && !c.pushing:
		c.pushing, c.needIDR, c.idle, c.dropUntilIDR = true, true, false, false
		c.lastData = s.clk.Now()
		s.armIdle(c, c.cfg.IdleTimeout)
		if cb := s.cb.PushStart; cb != nil {
			ch := c.idx
			c.startTold = math.MaxInt64
			s.enqueue(func() {
				cb(ch)
				s.mu.Lock()
				c.startTold = s.clk.Now().UnixNano()
				s.mu.Unlock()
			})
		}
	case !want && c.pushing:
		c.pushing = false
		s.stopTimer(c.idleTimer)
		c.idleTimer = nil
		s.flushRecording(c)
		if cb := s.cb.PushStop; cb != nil {
			ch := c.idx
			s.enqueue(func() { cb(ch) })
		}
	}
	if !c.pushing && c.ring.len() > 0 && (!c.planOK() || c.cfg.PreRecord <= 0) {
		s.discardRing(c)
	}
}

// flushRecording hands everything buffered to the slicer and cuts the open
// slice: recording stops or pauses.
func (s *SDK) flushRecording(c *channel) {
	for c.buf.len() > 0 {
		f, utc := c.buf.pop()
		s.sliceAdd(c, f, utc)
	}
	s.cut(c)
	s.watermark(c)
}

func (s *SDK) discardRing(c *channel) {
	for c.ring.len() > 0 {
		f, _ := c.ring.pop()
		s.drop(c.idx, f, ReasonPreRecordOut)
	}
}
