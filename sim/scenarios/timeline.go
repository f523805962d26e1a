package scenarios

import (
	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Event is one timeline entry: at At, do exactly one action to a group (or
// the whole fleet when Group is empty), or to Fraction of its devices
// (chosen by FleetPlan.Select, deterministic from the seed).
type Event struct {
	At       units.Duration `yaml:"at" required:"true" doc:"when, from the start of the run (at most the duration)"`
	Group    string         `yaml:"group" doc:"the group affected (absent: every group); not used with cloud"`
	Fraction units.Ratio    `yaml:"fraction" default:"100%" doc:"share of the group's devices affected"`

	Network *network.Change `yaml:"network" doc:"a link outage {outage: 30s} or a profile change {profile: NAME}"`
	Cloud   *CloudFault     `yaml:"cloud" doc:"a mock-cloud fault (embedded target only)"`
	Plan    *PlanChange     `yaml:"plan" doc:"a plan change"`
	Clock   *ClockChange    `yaml:"clock" doc:"a device clock correction or step"`
	Reboot  *Reboot         `yaml:"reboot" doc:"reboot the devices"`
}

// Action names the action of the event ("network", "cloud", …).
func (e *Event) Action() string {
	switch {
	case e.Network != nil:
		return "network"
	case e.Cloud != nil:
		return "cloud"
	case e.Plan != nil:
		return "plan"
	case e.Clock != nil:
		return "clock"
	case e.Reboot != nil:
		return "reboot"
	}
	return ""
}

var eventActions = []string{"network", "cloud", "plan", "clock", "reboot"}

// Cloud routes a fault's error_rate can name.
var CloudRoutes = []string{"all", "token", "plan", "slice", "picture", "event", "backfill", "destroy", "rtmp"}

// CloudFault changes the embedded mock cloud's behaviour. Fields not given
// are unchanged; For > 0 reverts the fault after that long.
type CloudFault struct {
	ErrorRate         map[string]units.Ratio `yaml:"error_rate" doc:"route → share of requests answered with an error (routes: all, token, plan, slice, picture, event, backfill, destroy, rtmp)"`
	Latency           units.Duration         `yaml:"latency" doc:"added reply latency"`
	RefuseConnections bool                   `yaml:"refuse_connections" doc:"refuse new connections"`
	DropConnections   bool                   `yaml:"drop_connections" doc:"drop every open connection once"`
	Restart           units.Duration         `yaml:"restart" doc:"restart the cloud, down for this long"`
	MaxConnections    int                    `yaml:"max_connections" min:"0" doc:"cap on concurrent connections (0: no cap)"`
	Bandwidth         units.Bitrate          `yaml:"bandwidth" doc:"cap on total ingest bandwidth (absent: none)"`
	For               units.Duration         `yaml:"for" doc:"revert the fault after this long (absent: until changed)"`
	Clear             bool                   `yaml:"clear" doc:"remove every fault"`
}

// PlanChange changes the plans of the selected devices: Set gives a new
// mix (drawn like the group's), Expire marks their current plan invalid
// (push-stop, CS3) without changing its kind.
type PlanChange struct {
	Set    PlanMix `yaml:"set" doc:"new plan mix for the selected devices"`
	Expire bool    `yaml:"expire" doc:"the current plan expires"`
}

// ClockChange corrects device clocks (skew back to 0) or steps them.
type ClockChange struct {
	Correct bool   `yaml:"correct" doc:"set the clock right (NTP sync)"`
	Step    Offset `yaml:"step" doc:"jump the clock by this signed offset"`
}

// Reboot restarts the selected devices.
type Reboot struct {
	Downtime DurationDist `yaml:"downtime" default:"30s" doc:"how long the device is down"`
}
