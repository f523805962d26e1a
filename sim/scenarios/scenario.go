package scenarios

import "github.com/fleetsim/fleetsim/sim/units"

// Scenario is one scenario file after loading, validation and defaults.
// These types are the schema: `fleetsim schema` is generated from them and
// scenarios/README.md documents them.
type Scenario struct {
	Name        string                  `yaml:"name" required:"true" doc:"the scenario's name, used in reports"`
	Description string                  `yaml:"description" doc:"free text shown in reports"`
	Seed        uint64                  `yaml:"seed" default:"1" doc:"run seed: device ids, per-device seeds, plan draws, skews and every link decision derive from it"`
	Duration    units.Duration          `yaml:"duration" required:"true" doc:"how long the run lasts (ramp included)"`
	AllowRemote bool                    `yaml:"allow_remote" doc:"must be true when the target is outside loopback (127.0.0.0/8, ::1, localhost)"`
	Target      Target                  `yaml:"target" doc:"what the fleet talks to; the embedded mock cloud by default"`
	Networks    map[string]*NetworkSpec `yaml:"networks" doc:"link profiles by name: inline, a named profile from scenarios/networks/NAME.yaml, or a trace"`
	Profiles    map[string]*Profile     `yaml:"profiles" required:"true" doc:"device profiles by name: media, SDK and live view"`
	Fleet       []*Group                `yaml:"fleet" required:"true" doc:"device groups"`
	Ramp        Ramp                    `yaml:"ramp" doc:"how devices start: all at once by default"`
	Timeline    []*Event                `yaml:"timeline" doc:"changes at given times"`
	Thresholds  Thresholds              `yaml:"thresholds" doc:"report key → condition; the run fails when one does not hold"`

	// File is the path the scenario was loaded from ("" for in-memory).
	File string `yaml:"-"`
}

// Group looks a fleet group up by name.
func (s *Scenario) Group(name string) *Group {
	for _, g := range s.Fleet {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Devices is the total device count of the fleet.
func (s *Scenario) Devices() int {
	n := 0
	for _, g := range s.Fleet {
		n += g.Count
	}
	return n
}
