package device

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/device/liveview"
	"github.com/fleetsim/fleetsim/sim/device/push"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Connect modes of the push SDK (RP2).
const (
	ConnectURL   = "url"
	ConnectSN    = "sn"
	ConnectToken = "token"
	ConnectLive  = "live"
)

// PushConfig configures the RTMP live-push SDK of a device and the
// firmware's use of it.
type PushConfig struct {
	PoolSize       units.ByteSize // Initialize's pool (1 MiB)
	MaxConnections int            // Initialize's cap (2)
	// Connect is how the SDK connects (RP2): url (URL, Token), sn (the
	// token server with ClientID/ClientSecret and the device id as SN),
	// token (DeviceToken through the token server) or live.
	Connect                string
	URL, Token             string
	ClientID, ClientSecret string
	DeviceToken            string
	// Options of the SDK (HEVC carriage, heartbeat, timeouts, lost
	// grace). Device, AudioConfig and TimestampBase are set by the device.
	Options push.Options
	// Continuous keeps one segment open for the whole connection (a base
	// station's live push, trigger ContinuousTrigger); otherwise each
	// motion event is a segment with MotionTrigger (RP4). The zero
	// trigger is 0, human.
	Continuous        bool
	ContinuousTrigger push.Trigger
	MotionTrigger     push.Trigger
	// Encryption is announced before every segment (metadata types 2/3);
	// the media itself is sent in clear.
	Encryption push.Encrypt
	// Reconnect is the firmware's policy after a failed connect or a send
	// failure (RP7): jittered exponential backoff.
	Reconnect Backoff
}

// Backoff is a jittered exponential backoff: the n-th consecutive retry
// waits min(Max, Initial·Multiplier^n) scaled by a uniform factor in
// [1−Jitter, 1+Jitter].
type Backoff struct {
	Initial, Max time.Duration
	Multiplier   float64
	Jitter       float64
}

func (b *Backoff) defaults() {
	if b.Initial == 0 {
		b.Initial = time.Second
	}
	if b.Max == 0 {
		b.Max = time.Minute
	}
	if b.Multiplier == 0 {
		b.Multiplier = 2
	}
	if b.Jitter == 0 {
		b.Jitter = 0.2
	}
}

// Delay is the wait before retry n (0-based), drawn from r.
func (b Backoff) Delay(n int, r *rand.Rand) time.Duration {
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(n))
	if d > float64(b.Max) || math.IsInf(d, 0) {
		d = float64(b.Max)
	}
	d *= 1 + b.Jitter*(2*r.Float64()-1)
	return time.Duration(d)
}

func (p *PushConfig) defaults() {
	if p.PoolSize == 0 {
		p.PoolSize = units.MiB
	}
	if p.MaxConnections == 0 {
		p.MaxConnections = 2
	}
	if p.Connect == "" {
		p.Connect = ConnectURL
	}
	p.Reconnect.defaults()
}

// LiveViewService opens a live-view session at the cloud (the HTTP API's
// LiveView: the relay address and the SSRC to use).
type LiveViewService interface {
	LiveView(ctx context.Context, device string, channel int) (httpapi.LiveViewReply, error)
}

// pushState is the device's push SDK and the firmware's view of it; all
// fields are guarded by Device.mu.
type pushState struct {
	sdk       *push.SDK
	id        push.ConnID
	up        bool
	failures  int // consecutive failed attempts or connection losses
	retry     interface{ Stop() bool }
	attempted bool // a connection was attempted before (the next is a reconnect)
	segOpen   bool
	trigger   push.Trigger
	eventAt   time.Time
	liveTrig  push.Trigger // a live-view trigger in force (0: none)
	waitKey   bool         // event segments: media waits for the segment's IDR
	backoff   *rand.Rand

	// the motion event in progress, for the report's event funnel
	events     uint64 // motion events started (their Seq)
	firstSeq   uint64 // the event segment's first video frame
	firstWait  bool   // its arrival in the cloud not yet confirmed
	firstKnown bool   // it arrived (the event counts as reported)
}

// bootPushLocked makes and starts the push SDK (d.mu held).
func (d *Device) bootPushLocked() error {
	pc := *d.cfg.Push
	opts := pc.Options
	opts.Device = d.cfg.Index
	if d.cfg.Media.Profile.Audio.Codec == av.AAC {
		opts.AudioConfig = d.cfg.Media.AudioConfig
	}
	if len(d.sources) > 0 {
		// the source restarts its media time at 0 while frame numbers go
		// on: the stream's origin is where audio numbering stands
		_, a := d.sources[0].Sequences()
		opts.TimestampBase = time.Duration(a) * d.cfg.Media.AudioInterval()
	}
	sdk := push.New(push.Deps{Clock: d.deps.Clock, Rand: d.rand(fmt.Sprintf("push-%d", d.rebooted)), Sink: d.deps.Sink,
		Dial: d.deps.PushDial, Receipts: d.deps.Receipts}, opts)
	if err := sdk.Initialize(pc.PoolSize, pc.MaxConnections); err != nil {
		return err
	}
	if d.deps.Tokens != nil {
		if err := sdk.SetTokenServer(d.deps.Tokens); err != nil {
			return err
		}
	}
	if d.ps == nil {
		d.ps = &pushState{backoff: d.rand("push-backoff")}
	}
	d.ps.sdk, d.ps.up, d.ps.segOpen = sdk, false, false
	d.connectPushLocked()
	return nil
}

// connectPushLocked starts a connection attempt (d.mu held).
func (d *Device) connectPushLocked() {
	ps := d.ps
	if ps == nil || ps.sdk == nil || !d.running || d.down {
		return
	}
	ps.retry = nil
	if ps.attempted {
		d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.Reconnect, Device: d.cfg.Index})
	}
	ps.attempted = true
	pc := d.cfg.Push
	sdk := ps.sdk
	cb := func(id push.ConnID, ev push.Event, wp, lp int64) { d.pushEvent(sdk, id, ev) }
	var id push.ConnID
	var err error
	switch pc.Connect {
	case ConnectSN:
		id, err = sdk.ConnectByDeviceSN(pc.ClientID, pc.ClientSecret, d.cfg.ID, cb)
	case ConnectToken:
		tok := pc.DeviceToken
		if tok == "" {
			tok = d.cfg.ID
		}
		id, err = sdk.ConnectByDeviceToken(tok, cb)
	case ConnectLive:
		id, err = sdk.LiveConnect(nil, d.cfg.ID, cb)
	default:
		id, err = sdk.Connect(pc.URL, pc.Token, cb)
	}
	if err != nil {
		// refused before any stage ran (no token server, cap): a failure
		// like any other for the retry policy
		d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.ConnFailed, Device: d.cfg.Index,
			Code: int(push.CodeOf(err)), Reason: "connect_refused"})
		d.scheduleReconnectLocked()
		return
	}
	ps.id = id
}

// scheduleReconnectLocked arms the next attempt after the backoff (d.mu held).
func (d *Device) scheduleReconnectLocked() {
	ps := d.ps
	if ps.retry != nil || !d.running || d.down {
		return
	}
	wait := d.cfg.Push.Reconnect.Delay(ps.failures, ps.backoff)
	ps.failures++
	sdk := ps.sdk
	ps.retry = d.deps.Clock.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.ps == nil || d.ps.sdk != sdk {
			return // rebooted meanwhile
		}
		d.connectPushLocked()
	})
}

// pushEvent is the firmware's callback of the push SDK. Lock order: the
// device's lock is never held while calling into the SDK, except here,
// where this goroutine is the one delivering the SDK's callbacks (so a
// call from here queues its own callbacks instead of delivering them).
func (d *Device) pushEvent(sdk *push.SDK, id push.ConnID, ev push.Event) {
	d.mu.Lock()
	ps := d.ps
	if ps == nil || ps.sdk != sdk || ps.id != id {
		d.mu.Unlock()
		return // a previous SDK or connection
	}
	start := push.Trigger(-1)
	switch {
	case ev == push.EventConnectSuccess:
		ps.up, ps.failures = true, 0
		if len(d.sources) > 0 {
			d.sources[0].RequestKeyFrame()
		}
		if d.cfg.Push.Continuous {
			start = d.cfg.Push.ContinuousTrigger
		} else if !ps.eventAt.IsZero() {
			start = d.cfg.Push.MotionTrigger
		}
	case ev.IsConnectOutcome(), ev == push.EventInvalidParam && !ps.up,
		ev == push.EventSendThreadExit, ev == push.EventClose:
		ps.up, ps.segOpen, ps.waitKey = false, false, false
		d.scheduleReconnectLocked()
	}
	d.mu.Unlock()
	if start >= 0 {
		d.startSegment(start, false)
	}
}

// localMillis is the device's local clock in ms (skewed as the firmware
// says).
func (d *Device) localMillis() int64 {
	now := d.deps.Clock.Now()
	d.mu.Lock()
	fw := d.fw
	d.mu.Unlock()
	if fw != nil {
		now = now.Add(fw.ClockOffset())
	}
	return now.UnixMilli()
}

// startSegment opens a segment: encryption metadata, stream start (RP4).
// event marks a motion event's start (its alarm time counts from now).
func (d *Device) startSegment(trigger push.Trigger, event bool) {
	d.mu.Lock()
	ps := d.ps
	if ps == nil || ps.sdk == nil {
		d.mu.Unlock()
		return
	}
	if event {
		ps.eventAt = d.deps.Clock.Now()
		ps.events++
		ps.firstWait, ps.firstKnown = false, false
		d.deps.Sink.Observe(observe.Observation{At: ps.eventAt, Kind: observe.EventStarted, Device: d.cfg.Index, Seq: ps.events})
	}
	if ps.segOpen || !ps.up {
		d.mu.Unlock()
		return
	}
	if ps.liveTrig != 0 && !d.cfg.Push.Continuous {
		trigger = ps.liveTrig
	}
	if ps.eventAt.IsZero() {
		ps.eventAt = d.deps.Clock.Now()
	}
	ps.segOpen, ps.trigger = true, trigger
	ps.waitKey = !d.cfg.Push.Continuous
	if len(d.sources) > 0 && ps.waitKey {
		d.sources[0].RequestKeyFrame()
	}
	sdk, id, enc := ps.sdk, ps.id, d.cfg.Push.Encryption
	d.mu.Unlock()
	if enc != push.EncryptNone {
		_ = sdk.SendEncryption(id, true, enc, d.cfg.ID)
		_ = sdk.SendEncryption(id, false, enc, d.cfg.ID)
	}
	if err := sdk.SendMetadata(id, push.MetaStreamStart, int64(trigger), d.localMillis()); err != nil {
		d.mu.Lock()
		if d.ps == ps && ps.sdk == sdk && ps.id == id {
			ps.segOpen = false
		}
		d.mu.Unlock()
	}
}

// endSegment closes the open segment with its alarm time; event marks the
// end of a motion event.
func (d *Device) endSegment(event bool) {
	d.mu.Lock()
	ps := d.ps
	if ps == nil || ps.sdk == nil {
		d.mu.Unlock()
		return
	}
	at := ps.eventAt
	if event && !at.IsZero() {
		ps.eventAt = time.Time{}
		d.checkFirstLocked(ps)
		// without the target's receipts (an unprobed external stream) the
		// outcome is unknown: the event stays unreported rather than failed
		if d.deps.Receipts != nil {
			d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.EventReported, Device: d.cfg.Index,
				Seq: ps.events, OK: ps.firstKnown})
		}
		ps.firstWait = false
	}
	if !ps.segOpen {
		d.mu.Unlock()
		return
	}
	ps.segOpen = false
	sdk, id := ps.sdk, ps.id
	d.mu.Unlock()
	alarm := d.deps.Clock.Now().Sub(at).Milliseconds()
	_ = sdk.SendMetadata(id, push.MetaStreamEnd, alarm, d.localMillis())
}

// pushing is what pushFrameLocked decided for a frame: hand it to sdk on
// connection id, or (outside a segment) drop it as not recorded.
type pushing struct {
	sdk  *push.SDK
	id   push.ConnID
	drop bool
}

// pushFrameLocked decides how a frame of channel 0 goes to the push SDK
// (d.mu held; Device.frame calls it under the lock it takes anyway, and
// pushing.send acts on it outside). With event segments the firmware
// pushes only inside a segment, from its IDR on; other frames are not
// recorded (a policy drop, observed here since they never reach the SDK),
// and the idle connection keeps alive on heartbeats.
func (d *Device) pushFrameLocked(f *av.Frame) pushing {
	ps := d.ps
	if ps == nil {
		return pushing{}
	}
	pf := pushing{sdk: ps.sdk, id: ps.id}
	if pf.sdk != nil && ps.up && !d.cfg.Push.Continuous {
		if ps.waitKey && f.Codec.IsVideo() && f.Key && ps.segOpen {
			ps.waitKey = false
			if !ps.eventAt.IsZero() && !ps.firstKnown {
				ps.firstSeq, ps.firstWait = f.Seq, true
			}
		}
		d.checkFirstLocked(ps)
		if !ps.segOpen || ps.waitKey {
			return pushing{drop: true}
		}
	}
	return pf
}

// send carries out the decision, outside d.mu.
func (pf pushing) send(d *Device, f *av.Frame) {
	if pf.drop {
		st := observe.Audio
		if f.Codec.IsVideo() {
			st = observe.Video
		}
		now := d.deps.Clock.Now()
		d.deps.Sink.Observe(observe.Observation{At: now, Kind: observe.FrameSent, Device: d.cfg.Index, Stream: st, Seq: f.Seq, Size: int64(f.Size())})
		d.deps.Sink.Observe(observe.Observation{At: now, Kind: observe.FrameDropped, Device: d.cfg.Index, Stream: st, Seq: f.Seq, Reason: observe.ReasonNotRecording})
		return
	}
	if pf.sdk != nil {
		// refusals (not connected, paused, bad media) are the SDK's to
		// account: it observes FrameSent and the drop with its reason
		_ = pf.sdk.SendFrame(pf.id, f)
	}
}

// checkFirstLocked emits EventFirstFrame once the cloud holds the motion
// event's first video frame (d.mu held). It asks the cloud's receipts, so
// it is measured where the frame arrived, not where it was written.
func (d *Device) checkFirstLocked(ps *pushState) {
	if !ps.firstWait || d.deps.Receipts == nil || ps.eventAt.IsZero() {
		return
	}
	if d.deps.Receipts.HasFate(d.cfg.Index, 0, observe.Video, ps.firstSeq) {
		now := d.deps.Clock.Now()
		d.deps.Sink.Observe(observe.Observation{At: now, Kind: observe.EventFirstFrame, Device: d.cfg.Index,
			Seq: ps.events, Value: now.Sub(ps.eventAt)})
		ps.firstWait, ps.firstKnown = false, true
	}
}

// stopPushLocked takes the SDK away (d.mu held); the caller ends it
// outside the lock with Uninitialize (reboot) or Detach (end of run).
func (d *Device) stopPushLocked() *push.SDK {
	ps := d.ps
	if ps == nil || ps.sdk == nil {
		return nil
	}
	if ps.retry != nil {
		ps.retry.Stop()
		ps.retry = nil
	}
	sdk := ps.sdk
	ps.sdk, ps.up, ps.segOpen = nil, false, false
	return sdk
}

// Push is the device's push SDK (nil while rebooting or without one).
func (d *Device) Push() *push.SDK {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ps == nil {
		return nil
	}
	return d.ps.sdk
}

// liveView starts or stops a live-view session (firmware hook or viewer
// request). The session is opened at the cloud on a goroutine of the
// device (an HTTP call must not block a clock callback).
func (d *Device) liveView(on bool, trigger int) {
	d.mu.Lock()
	if !d.running {
		d.mu.Unlock()
		return
	}
	if on && !push.Trigger(trigger).Live() {
		trigger = int(push.TriggerLiveWeb) // a viewer without a trigger type: the web app
	}
	var change func()
	if ps := d.ps; ps != nil && ps.sdk != nil {
		// the push stream's trigger follows the viewer (RP8 type 7)
		old, next := ps.trigger, ps.trigger
		if on && push.Trigger(trigger).Live() {
			ps.liveTrig, next = push.Trigger(trigger), push.Trigger(trigger)
		} else if !on {
			ps.liveTrig = 0
			next = d.cfg.Push.ContinuousTrigger
			if !d.cfg.Push.Continuous {
				next = d.cfg.Push.MotionTrigger
			}
		}
		if ps.segOpen && next != old {
			ps.trigger = next
			sdk, id := ps.sdk, ps.id
			change = func() { _ = sdk.SendMetadata(id, push.MetaTriggerChange, int64(old), int64(next)) }
		}
	}
	defer func() {
		d.mu.Unlock()
		if change != nil {
			change()
		}
	}()
	if d.deps.LiveView == nil || d.deps.DialUDP == nil {
		d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.LiveViewReport,
			Device: d.cfg.Index, OK: on, Reason: "live_view_not_modelled"})
		return
	}
	d.lvGen++
	gen := d.lvGen
	old := d.lv
	d.lv = nil
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if old != nil {
			old.Stop()
		}
		if !on {
			return
		}
		s, err := d.openLiveView(trigger)
		if err != nil {
			d.deps.Sink.Observe(observe.Observation{At: d.deps.Clock.Now(), Kind: observe.LiveViewReport,
				Device: d.cfg.Index, Reason: "live_view_failed"})
			return
		}
		d.mu.Lock()
		if d.lvGen != gen || !d.running {
			d.mu.Unlock()
			s.Stop()
			return
		}
		d.lv = s
		d.mu.Unlock()
	}()
}

func (d *Device) openLiveView(trigger int) (*liveview.Session, error) {
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	rep, err := d.deps.LiveView.LiveView(ctx, d.cfg.ID, 0)
	if err != nil {
		return nil, err
	}
	conn, err := d.deps.DialUDP(ctx, "udp", rep.Addr)
	if err != nil {
		return nil, err
	}
	s, err := liveview.Start(liveview.Config{Device: d.cfg.Index, Codec: d.cfg.Media.Profile.Video.Codec, SSRC: rep.SSRC, Trigger: trigger,
		MTU: d.cfg.LiveView.MTU, ReportInterval: d.cfg.LiveView.ReportInterval},
		liveview.Deps{Clock: d.deps.Clock, Rand: d.rand(fmt.Sprintf("liveview-%d", d.lvGen)), Sink: d.deps.Sink, Conn: conn})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// LiveViewConfig is how the device sends live view (scenario profile
// live_view).
type LiveViewConfig struct {
	MTU            int           // largest RTP packet (1200)
	ReportInterval time.Duration // RTCP sender reports (1 s)
}

// UDPDial opens a datagram socket (a link's Dial).
type UDPDial func(ctx context.Context, network, address string) (net.Conn, error)

var _ cloudapi.Tokens = (*httpapi.Client)(nil)
