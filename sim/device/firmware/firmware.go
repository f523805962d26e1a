// Package firmware is what a camera's application does around its SDKs:
// motion alarms that open and hold events, live-view requests, plan polling,
// reboots, Wi-Fi drops and clock corrections. Each is a seeded random
// process on an injected clock that calls the device through Hooks; every
// parameter comes from the scenario (Config), none is buried in code.
//
// The defaults follow the public sample firmware (shared/reference/NOTES.md):
// an alarm opens an event held 12 s, re-armed by each new alarm, capped at
// 360 s; pre-record is skipped when it would start within 2 s of the
// previous event's stop.
package firmware

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Hooks is how firmware acts on the device. Calls come from clock callbacks,
// one at a time per Firmware; they must not block for long.
type Hooks interface {
	// EventStart opens event id. preRecord > 0 asks for that much video from
	// before now (start_ext); 0 is a plain start.
	EventStart(id int, preRecord time.Duration)
	// EventStop closes event id.
	EventStop(id int)
	// Motion tells whether the scene is moving (the encoder bursts then).
	Motion(on bool)
	// LiveView starts (on) or ends a live-view session with a trigger type (RP8).
	LiveView(on bool, trigger int)
	// PollPlan asks the device to refresh its cloud plan.
	PollPlan()
	// Reboot takes the device down for the given time, then it boots again.
	Reboot(down time.Duration)
	// NetworkDrop drops the device's connectivity (Wi-Fi reconnect) for a while.
	NetworkDrop(down time.Duration)
	// ClockCorrection sets the device clock's offset from true time.
	ClockCorrection(offset time.Duration)
}

// Sampler draws durations (scenario distributions implement it).
type Sampler interface {
	Sample(r *rand.Rand) time.Duration
}

// Fixed is a Sampler that always draws the same duration.
type Fixed time.Duration

func (f Fixed) Sample(*rand.Rand) time.Duration { return time.Duration(f) }

// Config is the firmware behaviour of one device. Zero values disable a
// process.
type Config struct {
	Motion    MotionConfig
	LiveView  LiveViewConfig
	PlanPoll  PlanPollConfig
	Reboots   OutageConfig
	WiFiDrops OutageConfig
	Clock     ClockConfig
}

// MotionConfig drives motion alarms and the events they hold.
type MotionConfig struct {
	// Rate of motion episodes (Poisson arrivals). Zero: no motion.
	Rate units.Frequency
	// Duration of an episode; alarms keep firing while it lasts.
	Duration Sampler
	// Retrigger is how often the detector re-fires during an episode (2 s).
	Retrigger time.Duration
	// Hold keeps the event open after the last alarm (12 s).
	Hold time.Duration
	// Cap ends an event after this long even if alarms keep firing (360 s);
	// a later alarm opens a new event.
	Cap time.Duration
	// EventID is the SDK event id motion events use (1).
	EventID int
	// PreRecord asks for that much video before the alarm (0: none).
	PreRecord time.Duration
	// PreRecordGap skips pre-record when it would start within this long
	// of the previous event's stop (2 s), to avoid splicing.
	PreRecordGap time.Duration
}

// LiveViewConfig drives live-view sessions.
type LiveViewConfig struct {
	Rate     units.Frequency
	Duration Sampler
	// Trigger is the RP8 trigger type of the sessions (100–105).
	Trigger int
}

// PlanPollConfig drives plan refreshes.
type PlanPollConfig struct {
	// Interval between polls (Tuya: 30 min with an order, 60 min without).
	Interval time.Duration
	// Jitter spreads polls uniformly by ±Jitter.
	Jitter time.Duration
}

// OutageConfig drives random outages by MTBF/MTTR.
type OutageConfig struct {
	MTBF time.Duration // mean time between failures (exponential)
	Down Sampler       // how long the device stays down
}

// ClockConfig drives the device clock's error (CS17).
type ClockConfig struct {
	// Skew is the initial offset of the device clock from true time.
	Skew time.Duration
	// Drift is how much the offset grows per hour of run (ppm-like drift).
	Drift time.Duration
	// CorrectEvery applies an NTP-like correction (offset back to 0) this
	// often; 0: never.
	CorrectEvery time.Duration
}

// Defaults fills unset timers of the sample firmware.
func (c *Config) Defaults() {
	m := &c.Motion
	if m.Retrigger == 0 {
		m.Retrigger = 2 * time.Second
	}
	if m.Hold == 0 {
		m.Hold = 12 * time.Second
	}
	if m.Cap == 0 {
		m.Cap = 360 * time.Second
	}
	if m.EventID == 0 {
		m.EventID = 1
	}
	if m.PreRecordGap == 0 {
		m.PreRecordGap = 2 * time.Second
	}
	if m.Duration == nil {
		m.Duration = Fixed(20 * time.Second)
	}
	if c.LiveView.Duration == nil {
		c.LiveView.Duration = Fixed(60 * time.Second)
	}
	if c.LiveView.Trigger == 0 {
		c.LiveView.Trigger = 104 // live from web
	}
	if c.Reboots.Down == nil {
		c.Reboots.Down = Fixed(30 * time.Second)
	}
	if c.WiFiDrops.Down == nil {
		c.WiFiDrops.Down = Fixed(10 * time.Second)
	}
}

// Firmware runs the processes of one device.
type Firmware struct {
	cfg   Config
	clk   clock.Clock
	rnd   *rand.Rand
	hooks Hooks

	mu      sync.Mutex
	stopped bool
	timers  []clock.Timer

	// motion state
	eventOpen   bool
	eventStart  time.Time
	lastStop    time.Time
	holdUntil   time.Time
	episodeEnd  time.Time
	holdTimer   clock.Timer
	retrigTimer clock.Timer
	liveOn      bool
	down        bool // rebooting: no alarms, no live view

	// device clock error: offsetBase at offsetSince, drifting from there
	offsetBase  time.Duration
	offsetSince time.Time
}

// New makes the firmware of one device. rnd must be the device's own source.
func New(cfg Config, clk clock.Clock, rnd *rand.Rand, hooks Hooks) *Firmware {
	cfg.Defaults()
	return &Firmware{cfg: cfg, clk: clk, rnd: rnd, hooks: hooks}
}

// Start arms every enabled process. They run until Stop or ctx is done.
func (f *Firmware) Start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg.Motion.Rate > 0 {
		f.armLocked(f.exp(f.cfg.Motion.Rate.MeanInterval()), f.onMotionEpisode)
	}
	if f.cfg.LiveView.Rate > 0 {
		f.armLocked(f.exp(f.cfg.LiveView.Rate.MeanInterval()), f.onLiveStart)
	}
	if f.cfg.PlanPoll.Interval > 0 {
		f.armLocked(f.pollDelay(), f.onPoll)
	}
	if f.cfg.Reboots.MTBF > 0 {
		f.armLocked(f.exp(f.cfg.Reboots.MTBF), f.onReboot)
	}
	if f.cfg.WiFiDrops.MTBF > 0 {
		f.armLocked(f.exp(f.cfg.WiFiDrops.MTBF), f.onWiFiDrop)
	}
	f.offsetBase, f.offsetSince = f.cfg.Clock.Skew, f.clk.Now()
	if f.cfg.Clock.CorrectEvery > 0 {
		f.armLocked(f.cfg.Clock.CorrectEvery, f.onClockCorrect)
	}
	if ctx.Done() != nil {
		context.AfterFunc(ctx, f.Stop)
	}
}

// ClockOffset is the device clock's current offset from true time,
// including drift since the last correction.
func (f *Firmware) ClockOffset() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.offsetLocked(f.clk.Now())
}

func (f *Firmware) offsetLocked(now time.Time) time.Duration {
	if f.offsetSince.IsZero() {
		return f.cfg.Clock.Skew
	}
	hours := now.Sub(f.offsetSince).Hours()
	return f.offsetBase + time.Duration(hours*float64(f.cfg.Clock.Drift))
}

// Stopped reports whether Stop has run.
func (f *Firmware) Stopped() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stopped
}

// Stop cancels every pending timer; an open event is closed.
func (f *Firmware) Stop() {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	f.stopped = true
	for _, t := range f.timers {
		t.Stop()
	}
	f.timers = nil
	if f.holdTimer != nil {
		f.holdTimer.Stop()
	}
	if f.retrigTimer != nil {
		f.retrigTimer.Stop()
	}
	closeEvent := f.eventOpen
	f.eventOpen = false
	f.mu.Unlock()
	if closeEvent {
		f.hooks.Motion(false)
		f.hooks.EventStop(f.cfg.Motion.EventID)
	}
}

// armLocked schedules fn after d; fn runs with f.mu NOT held and is skipped
// after Stop.
func (f *Firmware) armLocked(d time.Duration, fn func()) clock.Timer {
	var t clock.Timer
	t = f.clk.AfterFunc(d, func() {
		f.mu.Lock()
		if f.stopped {
			f.mu.Unlock()
			return
		}
		f.forgetLocked(t)
		f.mu.Unlock()
		fn()
	})
	f.timers = append(f.timers, t)
	return t
}

func (f *Firmware) forgetLocked(t clock.Timer) {
	for i, x := range f.timers {
		if x == t {
			f.timers[i] = f.timers[len(f.timers)-1]
			f.timers = f.timers[:len(f.timers)-1]
			return
		}
	}
}

func (f *Firmware) exp(mean time.Duration) time.Duration {
	return time.Duration(f.rnd.ExpFloat64() * float64(mean))
}

// --- motion ---

func (f *Firmware) onMotionEpisode() {
	f.mu.Lock()
	m := f.cfg.Motion
	now := f.clk.Now()
	f.armLocked(f.exp(m.Rate.MeanInterval()), f.onMotionEpisode) // next episode
	if f.down {
		f.mu.Unlock()
		return
	}
	end := now.Add(m.Duration.Sample(f.rnd))
	if end.After(f.episodeEnd) {
		f.episodeEnd = end
	}
	f.mu.Unlock()
	f.hooks.Motion(true)
	f.alarm()
}

// alarm is one firing of the motion detector: open the event if needed and
// re-arm its hold; keep re-firing while the episode lasts.
func (f *Firmware) alarm() {
	f.mu.Lock()
	if f.stopped || f.down {
		f.mu.Unlock()
		return
	}
	m := f.cfg.Motion
	now := f.clk.Now()
	opened := false
	var pre time.Duration
	if !f.eventOpen {
		f.eventOpen, f.eventStart, opened = true, now, true
		pre = m.PreRecord
		if pre > 0 && !f.lastStop.IsZero() && now.Add(-pre).Before(f.lastStop.Add(m.PreRecordGap)) {
			pre = 0 // would splice onto the previous event
		}
	}
	f.holdUntil = now.Add(m.Hold)
	capAt := f.eventStart.Add(m.Cap)
	stopAt := f.holdUntil
	if capAt.Before(stopAt) {
		stopAt = capAt
	}
	if f.holdTimer != nil {
		f.holdTimer.Stop()
	}
	f.holdTimer = f.clk.AfterFunc(stopAt.Sub(now), f.onHoldExpired)
	if f.retrigTimer != nil {
		f.retrigTimer.Stop()
		f.retrigTimer = nil
	}
	if next := now.Add(m.Retrigger); next.Before(f.episodeEnd) {
		f.retrigTimer = f.clk.AfterFunc(m.Retrigger, f.alarm)
	}
	f.mu.Unlock()
	if opened {
		f.hooks.EventStart(m.EventID, pre)
	}
}

func (f *Firmware) onHoldExpired() {
	f.mu.Lock()
	if f.stopped || !f.eventOpen {
		f.mu.Unlock()
		return
	}
	now := f.clk.Now()
	f.eventOpen = false
	f.lastStop = now
	stillMoving := now.Before(f.episodeEnd)
	f.mu.Unlock()
	f.hooks.EventStop(f.cfg.Motion.EventID)
	if stillMoving {
		// capped while motion continues: the next alarm opens a new event
		return
	}
	f.hooks.Motion(false)
}

// --- live view ---

func (f *Firmware) onLiveStart() {
	f.mu.Lock()
	lv := f.cfg.LiveView
	f.armLocked(f.exp(lv.Rate.MeanInterval()), f.onLiveStart)
	if f.down || f.liveOn {
		f.mu.Unlock()
		return
	}
	f.liveOn = true
	f.armLocked(lv.Duration.Sample(f.rnd), f.onLiveEnd)
	f.mu.Unlock()
	f.hooks.LiveView(true, lv.Trigger)
}

func (f *Firmware) onLiveEnd() {
	f.mu.Lock()
	was := f.liveOn
	f.liveOn = false
	f.mu.Unlock()
	if was {
		f.hooks.LiveView(false, f.cfg.LiveView.Trigger)
	}
}

// --- plan polling ---

func (f *Firmware) pollDelay() time.Duration {
	p := f.cfg.PlanPoll
	d := p.Interval
	if p.Jitter > 0 {
		d += time.Duration((f.rnd.Float64()*2 - 1) * float64(p.Jitter))
	}
	if d < time.Second {
		d = time.Second
	}
	return d
}

func (f *Firmware) onPoll() {
	f.mu.Lock()
	f.armLocked(f.pollDelay(), f.onPoll)
	down := f.down
	f.mu.Unlock()
	if !down {
		f.hooks.PollPlan()
	}
}

// --- reboots and Wi-Fi drops ---

func (f *Firmware) onReboot() {
	f.mu.Lock()
	f.armLocked(f.exp(f.cfg.Reboots.MTBF), f.onReboot)
	if f.down {
		f.mu.Unlock()
		return
	}
	down := f.cfg.Reboots.Down.Sample(f.rnd)
	f.down = true
	// A reboot loses the open event without a stop from the firmware: the
	// device's Reboot tears its SDK down.
	closeLive := f.liveOn
	f.eventOpen, f.liveOn = false, false
	f.episodeEnd = time.Time{}
	if f.holdTimer != nil {
		f.holdTimer.Stop()
	}
	if f.retrigTimer != nil {
		f.retrigTimer.Stop()
	}
	f.armLocked(down, func() {
		f.mu.Lock()
		f.down = false
		f.mu.Unlock()
	})
	f.mu.Unlock()
	if closeLive {
		f.hooks.LiveView(false, f.cfg.LiveView.Trigger)
	}
	f.hooks.Motion(false)
	f.hooks.Reboot(down)
}

func (f *Firmware) onWiFiDrop() {
	f.mu.Lock()
	f.armLocked(f.exp(f.cfg.WiFiDrops.MTBF), f.onWiFiDrop)
	down := f.cfg.WiFiDrops.Down.Sample(f.rnd)
	skip := f.down
	f.mu.Unlock()
	if !skip {
		f.hooks.NetworkDrop(down)
	}
}

// --- clock ---

func (f *Firmware) onClockCorrect() {
	f.mu.Lock()
	f.armLocked(f.cfg.Clock.CorrectEvery, f.onClockCorrect)
	f.offsetBase, f.offsetSince = 0, f.clk.Now()
	f.mu.Unlock()
	f.hooks.ClockCorrection(0)
}
