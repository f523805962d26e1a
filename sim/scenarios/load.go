package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// MaxDevices bounds a fleet (a plan of this many devices is about 100 MB).
const MaxDevices = 1_000_000

// Options adjust loading.
type Options struct {
	// Set holds --set PATH=VALUE overrides, applied in order to the YAML
	// tree before validation.
	Set []string
	// Devices, when > 0, scales the fleet to this many devices keeping group
	// proportions (ScaleDevices), after validation.
	Devices int
	// Duration, when > 0, replaces the run's duration after validation.
	// Timeline entries later than it never happen; a ramp longer than it is
	// compressed to fit.
	Duration time.Duration
	// Seed, when non-nil, replaces the run seed.
	Seed *uint64
	// KnownMetric tells whether a threshold key is a report key
	// (report.KnownMetric). Nil: every key is accepted (use only in tests).
	KnownMetric func(name string) bool
	// CheckThreshold, when set, checks a known metric's condition in the
	// metric's unit (report.ParseThreshold); its error is reported at the
	// condition.
	CheckThreshold func(metric, condition string) error
	// NetworkDirs are searched for named network profiles NAME.yaml. Empty:
	// the "networks" directory next to the scenario file, then
	// scenarios/networks under the working directory.
	NetworkDirs []string
	// Getenv, when set, is used to check that the target's auth key
	// variable is set (a run needs it; `validate` may not have it).
	Getenv func(string) string
}

// LoadFile reads, validates and completes a scenario file. Every problem
// is returned at once as *Error.
func LoadFile(path string, opt Options) (*Scenario, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, &Error{Problems: []Problem{{Pos: Pos{File: path}, Msg: err.Error()}}}
	}
	return Load(path, data, opt)
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("is a directory; expected a scenario file")
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("file of %d bytes; expected at most %d", st.Size(), MaxFileSize)
	}
	return os.ReadFile(path)
}

// Load validates and completes a scenario given as bytes; file names it
// in messages and anchors relative paths (traces, named networks).
func Load(file string, data []byte, opt Options) (*Scenario, error) {
	d := newDecoder(file)
	d.baseDir = filepath.Dir(file)
	d.netDirs = opt.NetworkDirs
	if len(d.netDirs) == 0 {
		d.netDirs = []string{filepath.Join(d.baseDir, "networks"), filepath.Join("scenarios", "networks")}
	}
	root, err := parseYAML(data)
	if err != nil {
		d.syntaxError(err)
		return nil, &Error{Problems: d.probs}
	}
	for _, s := range opt.Set {
		root = d.applySet(root, s)
	}
	s := &Scenario{File: file}
	if root == nil {
		d.probs = append(d.probs, Problem{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "found an empty file; expected a scenario mapping (name, duration, profiles, fleet, …)"})
	} else {
		d.decode(root, reflectValue(s), "")
		if !d.halted {
			d.validate(s, opt)
		}
	}
	if len(d.probs) > 0 {
		return nil, &Error{Problems: sortProblems(d.probs)}
	}
	d.applyDefaults(s)
	if opt.Seed != nil {
		s.Seed = *opt.Seed
	}
	if opt.Duration > 0 {
		s.Duration = unitsDuration(opt.Duration)
		if s.Ramp.Over > s.Duration {
			s.Ramp.Over = s.Duration
		}
	}
	if opt.Devices > 0 {
		if err := ScaleDevices(s, opt.Devices); err != nil {
			return nil, &Error{Problems: []Problem{{Pos: Pos{Override: fmt.Sprintf("--devices %d", opt.Devices)}, Msg: err.Error()}}}
		}
	}
	return s, nil
}
