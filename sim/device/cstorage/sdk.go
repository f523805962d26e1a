package cstorage

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// Deps are what an SDK instance is driven by.
type Deps struct {
	Clock   clock.Clock
	Rand    *rand.Rand // jitter of plan polls
	Storage cloudapi.Storage
	Sink    observe.Sink
	Muxers  Muxers // nil: DefaultMuxers
	// Bodies lends slice buffers; share one across a fleet (nil: the SDK's own).
	Bodies *BodyPool
	// Units are the byte slices the pushed frames share (a profile's
	// source.Shared.Units): a slice keeps them as references into this
	// table, which a fleet reads in common (nil: each slice indexes them
	// itself).
	Units *av.Dict
	// Packs recycles the blocks of slices' frames once a slice has its
	// fate; share one across a fleet (nil: left to the collector).
	Packs *av.PackedPool
}

// SDK is one device's cloud-storage SDK. All methods are safe for
// concurrent use; PushStream of one channel must not be called in parallel
// (as the documents require).
type SDK struct {
	// What every pushed frame reads comes first, on two cache lines (it
	// spanned five): in a fleet the SDK is cold when its next frame comes.
	mu         sync.Mutex
	clk        clock.Clock
	sink       observe.Sink
	chans      []*channel
	out        []func() // outbox of callbacks, delivered in order by one goroutine at a time
	skew       time.Duration
	devIdx     int // cfg.DeviceIndex
	inited     bool
	exiting    bool
	delivering bool

	rnd    *rand.Rand
	st     cloudapi.Storage
	vst    VirtualStorage
	muxers Muxers
	bodies *BodyPool
	units  *av.Dict
	packs  *av.PackedPool

	cfg    Config
	cb     Callbacks
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	timers map[*timer]struct{}
	trans  limits // upload (send) and reply timeouts
	ai     map[aiKey]AIType
	bf     backfill
	stats  Stats
	// viaQueue sends every frame through the send buffer, even when
	// nothing waits (tests: the path the direct one must equal)
	viaQueue bool
}

// Stats are the SDK's counters (the observations carry the same facts).
type Stats struct {
	SlicesCut, SlicesUploaded, SlicesFailed, SlicesBackfilled, SlicesExpired int
	// Overwritten sums the cloud's receipts: earlier slices that an upload
	// overwrote (CS17).
	Overwritten int
	// DroppedFrames counts FrameDropped observations by reason.
	DroppedFrames map[string]int
}

// New returns an SDK that is not yet initialised.
func New(d Deps) *SDK {
	s := &SDK{clk: d.Clock, rnd: d.Rand, st: d.Storage, sink: d.Sink, muxers: d.Muxers, bodies: d.Bodies, units: d.Units, packs: d.Packs}
	if s.bodies == nil {
		s.bodies = NewBodyPool()
	}
	if s.sink == nil {
		s.sink = observe.Discard{}
	}
	if s.muxers == nil {
		s.muxers = DefaultMuxers()
	}
	if v, ok := d.Storage.(VirtualStorage); ok {
		s.vst = v
	}
	s.stats.DroppedFrames = map[string]int{}
	return s
}

// Init is iv_cs_init (CS1): it validates cfg, registers the callbacks and
// starts plan polling. A second Init before Exit fails with CodeInitTwice.
func (s *SDK) Init(cfg Config, cb Callbacks) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inited {
		return newErr("Init", CodeInitTwice, "already initialised")
	}
	if s.clk == nil || s.st == nil {
		return newErr("Init", CodeInvalidParam, "a clock and a storage are required")
	}
	if err := cfg.validate(); err != nil {
		return newErr("Init", CodeInvalidParam, "%v", err)
	}
	s.cfg, s.cb, s.devIdx = cfg, cb, cfg.DeviceIndex
	s.inited, s.exiting = true, false
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.timers = map[*timer]struct{}{}
	s.skew = cfg.ClockSkew
	s.trans = limits{send: cfg.UploadTimeout, reply: cfg.ReplyTimeout}
	s.ai = map[aiKey]AIType{}
	s.bf = backfill{}
	s.chans = make([]*channel, len(cfg.Channels))
	for i, cc := range cfg.Channels {
		s.chans[i] = newChannel(i, cc)
		s.pollPlan(s.chans[i])
	}
	return nil
}

// Exit is iv_cs_exit (CS1): it stops every timer and cloud call, waits for
// the SDK's goroutines, and releases every buffer. Frames still held are
// dropped with reason run_ended; pending callbacks are discarded.
func (s *SDK) Exit() error { return s.exit("Exit", true) }

// Detach is Exit at the end of a run: the frames the SDK still holds get no
// fate, so the report counts them in flight (DESIGN.md §6) rather than
// dropped by the device. A reboot is an Exit; the end of a run a Detach.
func (s *SDK) Detach() error { return s.exit("Detach", false) }

func (s *SDK) exit(op string, dropHeld bool) error {
	s.mu.Lock()
	if !s.inited || s.exiting {
		s.mu.Unlock()
		return newErr(op, CodeNotInit, "not initialised")
	}
	s.exiting = true
	for t := range s.timers {
		t.t.Stop()
	}
	clear(s.timers)
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if dropHeld {
		s.forEachHeld(func(ch int, fr FrameRef) {
			s.dropRef(ch, fr, observe.ReasonRunEnded)
		})
	}
	for _, c := range s.chans {
		c.release()
	}
	s.bf = backfill{}
	s.chans = nil
	s.out = nil
	s.inited = false
	return nil
}

// Close is Exit for io.Closer users; closing an SDK that is not
// initialised is not an error.
func (s *SDK) Close() error {
	s.mu.Lock()
	live := s.inited && !s.exiting
	s.mu.Unlock()
	if !live {
		return nil
	}
	return s.Exit()
}

// op checks that the SDK is initialised and ch is a channel; s.mu held.
func (s *SDK) op(name string, ch int) (*channel, error) {
	if !s.inited || s.exiting {
		return nil, newErr(name, CodeNotInit, "not initialised")
	}
	if ch < 0 || ch >= len(s.chans) {
		return nil, newErr(name, CodeInvalidParam, "channel %d of %d", ch, len(s.chans))
	}
	return s.chans[ch], nil
}

// devNow is the device's (possibly skewed) UTC clock (CS17).
func (s *SDK) devNow() time.Time { return s.clk.Now().Add(s.skew) }

// AdjustClock corrects the device clock by delta (negative: set back), as
// an NTP sync does (CS17). Slices cut afterwards carry the corrected times.
func (s *SDK) AdjustClock(delta time.Duration) {
	s.mu.Lock()
	s.skew += delta
	s.mu.Unlock()
}

// DeviceNow is the device's UTC clock.
func (s *SDK) DeviceNow() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.devNow()
}

// SetTransTime is iv_cs_set_trans_time: the upload and reply timeouts,
// neither zero (CS12).
func (s *SDK) SetTransTime(upload, reply time.Duration) error {
	if upload <= 0 || reply <= 0 {
		return newErr("SetTransTime", CodeInvalidParam, "timeouts %v/%v must be > 0", upload, reply)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inited || s.exiting {
		return newErr("SetTransTime", CodeNotInit, "not initialised")
	}
	s.trans = limits{send: upload, reply: reply}
	return nil
}

// Stats returns a copy of the counters.
func (s *SDK) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.DroppedFrames = make(map[string]int, len(s.stats.DroppedFrames))
	for k, v := range s.stats.DroppedFrames {
		st.DroppedFrames[k] = v
	}
	return st
}

// AccountedMemory is the real SDK's footprint for the configuration (CS18).
func (s *SDK) AccountedMemory() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inited {
		return 0
	}
	return int64(AccountedMemory(s.cfg))
}

// enqueue adds a callback to the outbox; s.mu held.
func (s *SDK) enqueue(f func()) {
	if s.exiting {
		return
	}
	s.out = append(s.out, f)
}

// flush delivers queued callbacks in order, outside s.mu. A callback that
// calls back into the SDK only enqueues; the outer flush delivers it after
// the current callback returns (re-entry, CS14).
func (s *SDK) flush() {
	s.mu.Lock()
	if s.delivering {
		s.mu.Unlock()
		return
	}
	s.delivering = true
	for len(s.out) > 0 {
		f := s.out[0]
		s.out[0] = nil
		s.out = s.out[1:]
		s.mu.Unlock()
		f()
		s.mu.Lock()
	}
	s.out = s.out[:0:0]
	s.delivering = false
	s.mu.Unlock()
}

// unlockFlush releases s.mu and delivers the queued callbacks, if there are
// any and nobody is delivering already (flush would then return at once):
// the common frame queues none, and skips flush's second lock.
func (s *SDK) unlockFlush() {
	pending := len(s.out) > 0 && !s.delivering
	s.mu.Unlock()
	if pending {
		s.flush()
	}
}

// emit sends an observation stamped with the clock and the device; s.mu held.
func (s *SDK) emit(o observe.Observation) { s.emitAt(s.clk.Now(), o) }

// emitAt is emit at a time the caller read from the clock already.
func (s *SDK) emitAt(at time.Time, o observe.Observation) {
	o.At = at
	o.Device = s.devIdx
	s.sink.Observe(o)
}
