// Package device is one virtual camera: its media source (per channel), its
// firmware behaviour and its SDK state machines, all driven by an injected
// clock and seeded random sources. The runner makes one Device per entry of
// the fleet plan; tests drive Devices on clock.Fake against in-memory clouds.
//
// Frame flow: source → Device.frame (generator-lag observation) → SDK
// (cloud-storage PushStream, or the RTMP push SDK's SendFrame) and, during
// a live-view session, the RTP sender. Firmware hooks (motion, live view,
// plan polls, reboots, Wi-Fi drops, clock corrections) become SDK calls,
// source changes and link actions.
//
// With the push SDK (Config.Push) the firmware keeps one connection per
// camera: it reconnects after a failed connect or a send failure with
// jittered exponential backoff (RP7), and pushes either one continuous
// segment per connection (base stations) or one segment per motion event
// (RP4, media only inside segments, from their IDR; the connection idles on
// heartbeats between them); a live-view session changes the segment's
// trigger (RP8 type 7).
package device

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/device/cstorage"
	"github.com/fleetsim/fleetsim/sim/device/firmware"
	"github.com/fleetsim/fleetsim/sim/device/liveview"
	"github.com/fleetsim/fleetsim/sim/device/push"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// Config is one device of the fleet plan.
type Config struct {
	Index   int    // index in the fleet plan: observations and stamps use it
	ID      string // the id the cloud knows
	RunSeed uint64 // the device's random sources derive from it and ID
	// Media is the profile's shared source state (one per profile).
	Media *source.Shared
	// Firmware behaviour of the device.
	Firmware firmware.Config
	// CloudStorage configures the cloud-storage SDK (iv_cs); nil: none.
	// Its Device/DeviceIndex are set from ID/Index.
	CloudStorage *cstorage.Config
	// Push configures the RTMP live-push SDK (SVCloudPush); nil: none.
	// A device has one of CloudStorage and Push.
	Push *PushConfig
	// LiveView is how live-view sessions send (zero: the defaults).
	LiveView LiveViewConfig
	// PlanQueryTimeout bounds a firmware-triggered plan query (5 s).
	PlanQueryTimeout time.Duration
}

// Link is what the device can do to its own network link (sim/network).
type Link interface {
	// Outage takes the link down for d from now (a Wi-Fi reconnect).
	Outage(d time.Duration)
}

// Deps are what a Device is driven by.
type Deps struct {
	Clock clock.Clock
	Sink  observe.Sink
	// Storage is the cloud-storage API as reached through the device's link.
	Storage cloudapi.Storage
	// Muxers for slices (nil: TS and fMP4 of media/ for the profile).
	Muxers cstorage.Muxers
	// Link is the device's link (nil: Wi-Fi drops only observed).
	Link Link
	// PushDial opens the push SDK's TCP connections (the link's Dial; nil:
	// a net.Dialer). Tokens is the push token server (RP2). Receipts
	// decides the frames lost on dead push connections (the embedded
	// cloud; nil: they stay in flight).
	PushDial push.Dial
	Tokens   cloudapi.Tokens
	Receipts push.Receipts
	// LiveView opens live-view sessions at the cloud and DialUDP opens the
	// datagram socket to its relay (the link's Dial); without them
	// live-view requests are only observed.
	LiveView LiveViewService
	DialUDP  UDPDial
	// Packs recycles the blocks of recorded slices' frames and Bodies
	// their muxed bodies: one of each per fleet (nil: each device's own).
	Packs  *av.PackedPool
	Bodies *cstorage.BodyPool
}

// Device is one virtual camera.
type Device struct {
	// What every frame reads, first and on one cache line: in a fleet the
	// device is cold in cache when its next frame comes.
	mu       sync.Mutex
	index    int          // cfg.Index
	sink     observe.Sink // deps.Sink
	cs       *cstorage.SDK
	lv       *liveview.Session
	ps       *pushState
	awaitIDR uint64 // bit ch: push-start asked channel ch for an IDR, its audio waits for it

	cfg     Config
	deps    Deps
	storage cloudapi.Storage // deps.Storage, watched for reachability

	ctx      context.Context
	cancel   context.CancelFunc
	running  bool
	down     bool // rebooting
	sources  []*source.Source
	fw       *firmware.Firmware
	wg       sync.WaitGroup
	bootTmr  clock.Timer
	rebooted int
	lvGen    int
}

// New makes a device; Start runs it.
func New(cfg Config, deps Deps) (*Device, error) {
	if cfg.Media == nil {
		return nil, errors.New("device: no media profile")
	}
	if (cfg.CloudStorage == nil) == (cfg.Push == nil) {
		return nil, errors.New("device: configure one SDK: cloud-storage or push")
	}
	if cfg.Push != nil {
		pc := *cfg.Push
		pc.defaults()
		cfg.Push = &pc
	}
	if deps.Clock == nil || deps.Sink == nil {
		return nil, errors.New("device: clock and sink are required")
	}
	if cfg.CloudStorage != nil && deps.Storage == nil {
		return nil, errors.New("device: cloud-storage SDK without a Storage")
	}
	if cfg.PlanQueryTimeout == 0 {
		cfg.PlanQueryTimeout = 5 * time.Second
	}
	d := &Device{cfg: cfg, deps: deps, index: cfg.Index, sink: deps.Sink}
	if deps.Storage != nil {
		d.storage = watchReach(deps.Storage, deps.Clock, deps.Sink, cfg.Index)
	}
	return d, nil
}

// rand derives one of the device's random sources.
func (d *Device) rand(purpose string) *rand.Rand { return rng.New(d.cfg.RunSeed, d.cfg.ID, purpose) }

// Start boots the device: SDK init, firmware and media capture. It runs
// until ctx ends or Close.
func (d *Device) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running {
		return errors.New("device: already started")
	}
	d.ctx, d.cancel = context.WithCancel(ctx)
	d.running = true
	d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.DeviceStarted, Device: d.cfg.Index})
	d.fw = firmware.New(d.cfg.Firmware, d.deps.Clock, d.rand("firmware"), hooks{d})
	if err := d.bootLocked(); err != nil {
		d.running = false
		d.cancel()
		return err
	}
	d.fw.Start(d.ctx)
	return nil
}

// bootLocked initialises the SDK and starts capture on every channel.
func (d *Device) bootLocked() error {
	if cs := d.cfg.CloudStorage; cs != nil {
		cfg := *cs
		cfg.Device, cfg.DeviceIndex = d.cfg.ID, d.cfg.Index
		muxers := d.deps.Muxers
		if muxers == nil {
			var err error
			if muxers, err = mediaMuxers(d.cfg.Media); err != nil {
				return fmt.Errorf("device %s: slice muxers: %w", d.cfg.ID, err)
			}
		}
		sdk := cstorage.New(cstorage.Deps{Clock: d.deps.Clock, Rand: d.rand(fmt.Sprintf("cstorage-%d", d.rebooted)),
			Storage: d.storage, Sink: d.deps.Sink, Muxers: muxers, Units: d.cfg.Media.Units(),
			Packs: d.deps.Packs, Bodies: d.deps.Bodies})
		if d.fw != nil {
			cfg.ClockSkew = d.fw.ClockOffset()
		}
		if err := sdk.Init(cfg, d.callbacks()); err != nil {
			return fmt.Errorf("device %s: cloud-storage init: %w", d.cfg.ID, err)
		}
		d.cs = sdk
	}
	if d.cfg.Push != nil {
		if err := d.bootPushLocked(); err != nil {
			return fmt.Errorf("device %s: push init: %w", d.cfg.ID, err)
		}
	}
	channels := 1
	if d.cfg.CloudStorage != nil && len(d.cfg.CloudStorage.Channels) > 0 {
		channels = len(d.cfg.CloudStorage.Channels)
	}
	if d.sources == nil {
		for ch := 0; ch < channels; ch++ {
			src := source.New(d.cfg.Media, uint64(d.cfg.Index), d.deps.Clock, d.rand(fmt.Sprintf("source-%d", ch)),
				frameSink{d: d, ch: ch})
			d.sources = append(d.sources, src)
		}
	}
	for _, s := range d.sources {
		s.Start(d.ctx)
	}
	return nil
}

// callbacks are the firmware's answers to the cloud-storage SDK. On
// push-start the encoder is asked for an IDR, as real firmware does, since
// the SDK refuses a stream that does not start with one (CS10).
func (d *Device) callbacks() cstorage.Callbacks {
	return cstorage.Callbacks{
		PushStart: func(ch int) {
			d.mu.Lock()
			defer d.mu.Unlock()
			if ch < len(d.sources) {
				d.sources[ch].RequestKeyFrame()
				if ch < 64 {
					d.awaitIDR |= 1 << ch
				}
			}
		},
		EventReportResult: func(int, cstorage.EventResult) {},
	}
}

// frame takes one captured frame to the SDKs. It reads the device's state
// (SDK, audio hold, live-view session, push decision) under one lock.
func (d *Device) frame(ch int, f *av.Frame, lag time.Duration) {
	video := f.Codec.IsVideo()
	stream := observe.Video
	if !video {
		stream = observe.Audio
	}
	at := f.Capture.Add(lag)
	d.sink.Observe(observe.Observation{At: at, Kind: observe.GeneratorLag, Device: d.index,
		Channel: ch, Stream: stream, Seq: f.Seq, Value: lag})
	d.mu.Lock()
	cs := d.cs
	hold := cs != nil && d.holdLocked(ch, f)
	var lv *liveview.Session
	var pf pushing
	if ch == 0 {
		if video {
			lv = d.lv
		}
		if d.ps != nil {
			pf = d.pushFrameLocked(f)
		}
	}
	d.mu.Unlock()
	if cs != nil {
		if hold {
			// the firmware pushes no frame between push-start and the IDR
			// it asked for (the SDK would refuse it, CS10): a drop by design
			d.sink.Observe(observe.Observation{At: at, Kind: observe.FrameSent, Device: d.index,
				Channel: ch, Stream: stream, Seq: f.Seq, Size: int64(f.Size())})
			d.sink.Observe(observe.Observation{At: at, Kind: observe.FrameDropped, Device: d.index,
				Channel: ch, Stream: stream, Seq: f.Seq, Reason: observe.ReasonAwaitIDR})
		} else {
			// refusals (no plan, buffer full…) are the SDK's to account: it
			// observes FrameSent and the drop with its reason
			_ = cs.PushStream(ch, f)
		}
	}
	if ch != 0 {
		return
	}
	pf.send(d, f) // nothing without a push SDK
	if lv != nil {
		lv.Frame(f)
	}
}

// takeDownLocked stops capture and takes the SDKs and the live-view
// session away (d.mu held); the caller ends them outside the lock — Detach
// at the end of a run, Exit/Uninitialize on a reboot.
func (d *Device) takeDownLocked() (*cstorage.SDK, *push.SDK, *liveview.Session) {
	for _, s := range d.sources {
		s.Stop()
	}
	cs := d.cs
	d.cs = nil
	ps := d.stopPushLocked()
	lv := d.lv
	d.lv = nil
	d.lvGen++
	return cs, ps, lv
}

// holdLocked reports whether f is audio or a P frame of a channel waiting for the
// IDR asked for at push-start; a video key frame ends the wait. d.mu held.
func (d *Device) holdLocked(ch int, f *av.Frame) bool {
	if ch < 0 || ch >= 64 || d.awaitIDR&(1<<ch) == 0 {
		return false
	}
	if f.Codec.IsVideo() && f.Key {
		d.awaitIDR &^= 1 << ch
		return false
	}
	// audio, and a P frame the encoder had made before it took the request
	// (the source's tick and the SDK's callback run concurrently)
	return true
}

// Close stops the device at the end of a run: capture, firmware and SDKs.
// Frames an SDK still holds get no fate: the report counts them in flight.
func (d *Device) Close() error {
	d.mu.Lock()
	if !d.running {
		d.mu.Unlock()
		return nil
	}
	d.running = false
	if d.bootTmr != nil {
		d.bootTmr.Stop()
	}
	fw := d.fw
	d.mu.Unlock()
	fw.Stop()
	d.mu.Lock()
	cs, ps, lv := d.takeDownLocked()
	d.mu.Unlock()
	var err error
	if cs != nil {
		err = cs.Detach()
	}
	if ps != nil {
		// frames the SDK holds, or wrote without the cloud accounting them
		// yet, stay in flight: the run ends
		if e := ps.Detach(); e != nil && err == nil {
			err = e
		}
	}
	if lv != nil {
		lv.Stop()
	}
	d.cancel()
	d.wg.Wait()
	d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.DeviceStopped, Device: d.cfg.Index})
	return err
}

// StopCapture ends media capture and firmware activity (the run is
// stopping) while the SDKs keep uploading what they hold; Close follows.
func (d *Device) StopCapture() {
	d.mu.Lock()
	fw := d.fw
	srcs := d.sources
	if d.bootTmr != nil {
		d.bootTmr.Stop()
	}
	d.mu.Unlock()
	if fw != nil {
		fw.Stop()
	}
	for _, s := range srcs {
		s.Stop()
	}
}

// Busy reports whether an SDK still has uploads to finish.
func (d *Device) Busy() bool {
	if cs := d.CloudStorage(); cs != nil {
		return cs.Busy()
	}
	if p := d.Push(); p != nil {
		return p.Busy()
	}
	return false
}

// SetClockOffset sets the device clock's offset from true time (a timeline
// correction: 0 is an NTP sync).
func (d *Device) SetClockOffset(offset time.Duration) { hooks{d}.ClockCorrection(offset) }

// CloudStorage is the device's cloud-storage SDK (nil while rebooting or
// without one), for tests and the runner's timeline.
func (d *Device) CloudStorage() *cstorage.SDK {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cs
}

// InFlight lists frames an SDK still holds.
func (d *Device) InFlight() []cstorage.FrameRef {
	if cs := d.CloudStorage(); cs != nil {
		return cs.InFlight()
	}
	return nil
}

// Reboot takes the device down now for the given time (timeline action).
func (d *Device) Reboot(down time.Duration) { hooks{d}.Reboot(down) }

// CorrectClock adjusts the device clock by delta (timeline action, CS17).
func (d *Device) CorrectClock(delta time.Duration) {
	if cs := d.CloudStorage(); cs != nil {
		cs.AdjustClock(delta)
	}
}

// hooks is the device as firmware sees it.
type hooks struct{ d *Device }

func (h hooks) EventStart(id int, pre time.Duration) {
	if h.d.cfg.Push != nil {
		if !h.d.cfg.Push.Continuous {
			h.d.mu.Lock()
			if len(h.d.sources) > 0 {
				h.d.sources[0].RequestKeyFrame() // the event's clip starts with an IDR
			}
			h.d.mu.Unlock()
		}
		h.d.startSegment(h.d.cfg.Push.MotionTrigger, !h.d.cfg.Push.Continuous)
		return
	}
	cs := h.d.CloudStorage()
	if cs == nil {
		return
	}
	if pre > 0 {
		secs := int64(pre / time.Second)
		if secs > 299 {
			secs = 299 // relative form only below 300 (CS8)
		}
		_ = cs.EventStartExt(0, id, "", secs, secs)
		return
	}
	_ = cs.EventStart(0, id, "")
}

func (h hooks) EventStop(id int) {
	if h.d.cfg.Push != nil {
		if !h.d.cfg.Push.Continuous {
			h.d.endSegment(true)
		}
		return
	}
	if cs := h.d.CloudStorage(); cs != nil {
		_ = cs.EventStop(0, id, "")
	}
}

func (h hooks) Motion(on bool) {
	h.d.mu.Lock()
	srcs := h.d.sources
	h.d.mu.Unlock()
	for _, s := range srcs {
		s.SetMotion(on)
	}
}

// LiveView starts or ends a live-view session over RTP (package liveview);
// without a live-view service the request is only observed.
func (h hooks) LiveView(on bool, trigger int) { h.d.liveView(on, trigger) }

func (h hooks) PollPlan() {
	d := h.d
	cs := d.CloudStorage()
	if cs == nil {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for ch := range max(1, len(d.cfg.CloudStorage.Channels)) {
			if d.ctx.Err() != nil {
				return
			}
			_, _ = cs.QueryPlan(ch, d.cfg.PlanQueryTimeout)
		}
	}()
}

func (h hooks) Reboot(down time.Duration) {
	d := h.d
	d.mu.Lock()
	if !d.running || d.down {
		d.mu.Unlock()
		return
	}
	d.down = true
	d.rebooted++
	cs, ps, lv := d.takeDownLocked()
	d.mu.Unlock()
	if cs != nil {
		_ = cs.Exit() // a reboot loses what the SDK held: it drops them with a reason
	}
	if ps != nil {
		_ = ps.Uninitialize() // queued frames dropped; written ones decided after the grace period
	}
	if lv != nil {
		lv.Stop()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bootTmr = d.deps.Clock.AfterFunc(down, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if !d.running {
			return
		}
		d.down = false
		if err := d.bootLocked(); err != nil {
			d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.DeviceStopped,
				Device: d.cfg.Index, Reason: "boot_failed: " + err.Error()})
		}
	})
}

func (h hooks) NetworkDrop(down time.Duration) {
	if h.d.deps.Link != nil {
		h.d.deps.Link.Outage(down)
	}
}

func (h hooks) ClockCorrection(offset time.Duration) {
	// The firmware tracks the clock's offset from true time; the SDK its
	// own device clock. Bring the SDK's clock to the firmware's offset.
	cs := h.d.CloudStorage()
	if cs == nil {
		return
	}
	now := h.d.deps.Clock.Now()
	current := cs.DeviceNow().Sub(now)
	cs.AdjustClock(offset - current)
}

// mediaMuxers makes the TS/fMP4 slice muxers for a profile's streams; each
// SDK instance gets its own (they keep per-stream state).
func mediaMuxers(sh *source.Shared) (cstorage.Muxers, error) {
	var audio *aac.Config
	if sh.Profile.Audio.Codec == av.AAC {
		cfg, err := aac.ParseConfig(sh.AudioConfig)
		if err != nil {
			return nil, err
		}
		audio = &cfg
	}
	return cstorage.MediaMuxers(sh.Profile.Video.Codec, audio, sh.FrameInterval())
}
