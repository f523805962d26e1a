package scenarios

import (
	"github.com/fleetsim/fleetsim/sim/units"
)

// Group is a fleet group: Count devices of one profile on one network,
// with a plan mix, a clock skew distribution and firmware behaviour
// (DESIGN.md §2.4).
type Group struct {
	Name    string  `yaml:"group" required:"true" doc:"group name; device ids are NAME-00042"`
	Count   int     `yaml:"count" required:"true" min:"0" max:"1000000" doc:"devices in the group"`
	Profile string  `yaml:"profile" required:"true" doc:"a name under profiles"`
	Network string  `yaml:"network" doc:"a name under networks, or a named profile in scenarios/networks/ (absent: a perfect link)"`
	Plan    PlanMix `yaml:"plan" default:"{full-time: 100%}" doc:"plan mix summing to 100%"`
	// FreeTrial is the remaining time of free-trial plans at the start.
	FreeTrial units.Duration `yaml:"free_trial" default:"24h" doc:"remaining time of free-trial plans at the start"`
	ClockSkew DurationDist   `yaml:"clock_skew" default:"0s" doc:"device clock offset from true UTC"`

	Motion         *Motion        `yaml:"motion" doc:"motion alarms (absent: none)"`
	LiveView       *Sessions      `yaml:"live_view" doc:"live view sessions (absent: none)"`
	Reboots        *Occurrences   `yaml:"reboots" doc:"random reboots (absent: none)"`
	WifiReconnects *Occurrences   `yaml:"wifi_reconnects" doc:"random Wi-Fi reconnects (absent: none)"`
	PlanPoll       units.Duration `yaml:"plan_poll" default:"30m" doc:"how often firmware re-queries the plan (0s: only pushed changes)"`
	Backfill       Backfill       `yaml:"backfill" doc:"backfill policy for failed slices (CS16)"`
	PreRecord      units.Duration `yaml:"pre_record" default:"0s" doc:"seconds of pre-record per event, under 300s (CS8)"`
	Reconnect      Backoff        `yaml:"reconnect" doc:"reconnect policy after a failed connection (RP7)"`
}

// Motion is the motion-alarm process: alarms arrive at Rate (Poisson);
// each opens an event that stays open for Hold after the last alarm,
// re-armed by alarms within it, never longer than Cap.
type Motion struct {
	Rate     units.Frequency `yaml:"rate" required:"true" doc:"alarms per time, e.g. 6/h"`
	Duration DurationDist    `yaml:"duration" default:"20s" doc:"how long one motion lasts (alarms keep coming while it does)"`
	Hold     units.Duration  `yaml:"hold" default:"12s" doc:"an event stays open this long after the last alarm"`
	Cap      units.Duration  `yaml:"cap" default:"360s" doc:"longest event"`
	Trigger  string          `yaml:"trigger" enum:"human,motion,face,human-face,move" default:"motion" doc:"trigger type reported by push devices (RP8)"`
}

// Sessions is a random process of sessions (live view).
type Sessions struct {
	Rate     units.Frequency `yaml:"rate" required:"true" doc:"sessions per time, e.g. 2/h"`
	Duration DurationDist    `yaml:"duration" default:"60s" doc:"session length"`
}

// Occurrences is a random process of interruptions (reboots, reconnects).
type Occurrences struct {
	Rate     units.Frequency `yaml:"rate" required:"true" doc:"occurrences per time, e.g. 1/d"`
	Downtime DurationDist    `yaml:"downtime" default:"10s" doc:"how long the device is away each time"`
}

// Backfill is the firmware's policy for re-uploading failed slices.
type Backfill struct {
	Enabled bool          `yaml:"enabled" default:"true" doc:"re-upload failed slices within the SDK's backfill_window"`
	Rate    units.Bitrate `yaml:"rate" default:"640k" doc:"uplink share the backfill worker may use"`
}

// Backoff is a jittered exponential backoff.
type Backoff struct {
	Initial units.Duration `yaml:"initial" default:"1s" doc:"first wait"`
	Max     units.Duration `yaml:"max" default:"60s" doc:"longest wait"`
	Jitter  units.Ratio    `yaml:"jitter" default:"20%" doc:"± share of each wait drawn at random"`
}
