package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

const overrideBase = `name: base
duration: 10m
networks:
  home-wifi: {up: {rate: 4mbit, delay: 20ms}}
profiles:
  cam: {video: {fps: 15}}
fleet:
  - {group: living-rooms, count: 100, profile: cam, network: home-wifi}
  - {group: porches, count: 50, profile: cam}
timeline:
  - {at: 2m, group: porches, reboot: {}}
thresholds:
  latency_ms.ingest.p99: "< 1500ms"
`

// One table for --set: the value reached through the path, or the problem
// it causes (which must point at the flag, not at the file).
func TestSetOverrides(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sets  []string
		check func(*Scenario) bool
		err   string // substring of the problem; "" for success
	}{
		{"nested duration", []string{"networks.home-wifi.up.delay=200ms"},
			func(s *Scenario) bool {
				return s.Networks["home-wifi"].Up.Delay == units.Duration(200*time.Millisecond)
			}, ""},
		{"created keys", []string{"networks.home-wifi.down.loss=1%"},
			func(s *Scenario) bool { return s.Networks["home-wifi"].Down.Loss == 0.01 }, ""},
		{"list index", []string{"fleet.0.count=10"},
			func(s *Scenario) bool { return s.Fleet[0].Count == 10 && s.Fleet[1].Count == 50 }, ""},
		{"group name", []string{"fleet.porches.count=7"},
			func(s *Scenario) bool { return s.Fleet[1].Count == 7 }, ""},
		{"new nested mapping", []string{"fleet.living-rooms.motion.rate=6/h"},
			func(s *Scenario) bool {
				return s.Fleet[0].Motion != nil && s.Fleet[0].Motion.Rate.PerSecond()*3600 > 5.99
			}, ""},
		{"mapping value", []string{"fleet.0.plan={event: 50%, none: 50%}"},
			func(s *Scenario) bool { return len(s.Fleet[0].Plan) == 2 && s.Fleet[0].Plan[1].Kind == "none" }, ""},
		{"dotted threshold key replaced", []string{"thresholds.latency_ms.ingest.p99=< 2s"},
			func(s *Scenario) bool { return len(s.Thresholds) == 1 && s.Thresholds[0].Condition == "< 2s" }, ""},
		{"dotted threshold key added", []string{"thresholds.frames.loss_ratio=< 1%"},
			func(s *Scenario) bool { return len(s.Thresholds) == 2 && s.Thresholds[1].Metric == "frames.loss_ratio" }, ""},
		{"top level", []string{"duration=20m", "seed=9"},
			func(s *Scenario) bool { return s.Duration.D() == 20*time.Minute && s.Seed == 9 }, ""},
		{"later wins", []string{"fleet.0.count=1", "fleet.0.count=2"},
			func(s *Scenario) bool { return s.Fleet[0].Count == 2 }, ""},
		{"timeline", []string{"timeline.0.at=5m"},
			func(s *Scenario) bool { return s.Timeline[0].At.D() == 5*time.Minute }, ""},

		{"bad value", []string{"fleet.0.count=-1"}, nil, "--set fleet.0.count=-1: fleet.0.count: found -1"},
		{"bad unit", []string{"networks.home-wifi.up.delay=200"}, nil, "--set networks.home-wifi.up.delay=200: networks.home-wifi.up.delay: found \"200\"; expected a duration"},
		{"unknown key", []string{"fleet.0.colour=red"}, nil, "--set fleet.0.colour=red: fleet.0: unknown key \"colour\""},
		{"index out of range", []string{"fleet.5.count=1"}, nil, "--set fleet.5.count=1: fleet.5.count: found index 5; expected an index below 2"},
		{"unknown group", []string{"fleet.porch.count=1"}, nil, `found "porch"; expected a list index or one of living-rooms or porches (did you mean "porches"?)`},
		{"into a scalar", []string{"name.first=x"}, nil, `found "base" at "name"`},
		{"no equals", []string{"fleet.0.count"}, nil, "--set fleet.0.count: found no PATH=VALUE"},
		{"beyond duration", []string{"timeline.0.at=30m"}, nil, "--set timeline.0.at=30m: timeline.0.at: found 30m0s, beyond the duration"},
		{"undefined profile", []string{"fleet.porches.profile=dome"}, nil, "--set fleet.porches.profile=dome: fleet.1.profile: found \"dome\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := testOptions()
			opt.Set = tc.sets
			s, err := Load("base.yaml", []byte(overrideBase), opt)
			if tc.err != "" {
				var se *Error
				if !errors.As(err, &se) {
					t.Fatalf("loaded; want a problem containing %q", tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("problems:\n%v\nwant one containing %q", err, tc.err)
				}
				for _, p := range se.Problems {
					if p.Pos.Override == "" {
						t.Errorf("problem not attributed to the flag: %s", p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s) {
				t.Errorf("override not applied: %+v", s)
			}
		})
	}
}

func TestOptionOverrides(t *testing.T) {
	seed := uint64(77)
	opt := testOptions()
	opt.Seed, opt.Duration, opt.Devices = &seed, 30*time.Second, 15
	opt.Set = []string{"ramp.over=1m"}
	s, err := Load("base.yaml", []byte(overrideBase), opt)
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 77 || s.Duration.D() != 30*time.Second || s.Devices() != 15 || s.Fleet[0].Count != 10 || s.Fleet[1].Count != 5 {
		t.Errorf("seed %d duration %v counts %d/%d", s.Seed, s.Duration, s.Fleet[0].Count, s.Fleet[1].Count)
	}
	if s.Ramp.Over.D() != 30*time.Second {
		t.Errorf("ramp over %v not shortened to the new duration", s.Ramp.Over)
	}
	// A shortened run keeps its timeline (entries past the end never fire)
	// instead of failing validation.
	if len(s.Timeline) != 1 {
		t.Errorf("timeline dropped")
	}
	opt.Devices = -1
	opt.Devices = MaxDevices + 1
	if _, err := Load("base.yaml", []byte(overrideBase), opt); err == nil || !strings.Contains(err.Error(), "--devices") {
		t.Errorf("--devices beyond the limit: %v", err)
	}
}

func TestScaleDevices(t *testing.T) {
	for _, tc := range []struct {
		counts []int
		n      int
		want   []int
	}{
		{[]int{2000, 500, 100}, 100, []int{77, 19, 4}},
		{[]int{2000, 500, 100}, 2600, []int{2000, 500, 100}},
		{[]int{1, 1, 1}, 2, []int{1, 1, 0}},
		{[]int{1, 1, 1}, 10, []int{4, 3, 3}},
		{[]int{10, 0, 30}, 4, []int{1, 0, 3}},
		{[]int{3}, 1000, []int{1000}},
		{[]int{5, 5}, 1, []int{1, 0}},
	} {
		s := &Scenario{}
		for i, c := range tc.counts {
			s.Fleet = append(s.Fleet, &Group{Name: string(rune('a' + i)), Count: c})
		}
		if err := ScaleDevices(s, tc.n); err != nil {
			t.Fatal(err)
		}
		for i, g := range s.Fleet {
			if g.Count != tc.want[i] {
				t.Errorf("scale %v to %d: group %d has %d, want %d", tc.counts, tc.n, i, g.Count, tc.want[i])
			}
		}
	}
	if err := ScaleDevices(&Scenario{Fleet: []*Group{{Count: 0}}}, 10); err == nil {
		t.Error("scaling an empty fleet succeeded")
	}
}

// largestRemainder always sums to n and stays within one of the exact share.
func TestLargestRemainderProperties(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		r := newTestRand(seed)
		w := make([]float64, 1+r.IntN(8))
		var tot float64
		for i := range w {
			w[i] = float64(r.IntN(1000))
			tot += w[i]
		}
		if tot == 0 {
			continue
		}
		n := r.IntN(100000)
		got := largestRemainder(n, w)
		sum := 0
		for i, c := range got {
			sum += c
			exact := float64(n) * w[i] / tot
			if float64(c) < exact-1 || float64(c) > exact+1 {
				t.Fatalf("weights %v n %d: share %d = %d, exact %.2f", w, n, i, c, exact)
			}
		}
		if sum != n {
			t.Fatalf("weights %v n %d: sum %d", w, n, sum)
		}
	}
}

// An override through an alias changes that place only.
func TestSetThroughAlias(t *testing.T) {
	src := `name: alias
duration: 1m
profiles:
  a: &cam {video: {fps: 15}}
  b: *cam
fleet: [{group: g, count: 1, profile: a}]
`
	opt := testOptions()
	opt.Set = []string{"profiles.b.video.fps=30"}
	s, err := Load("alias.yaml", []byte(src), opt)
	if err != nil {
		t.Fatal(err)
	}
	if s.Profiles["a"].Video.FPS != 15 || s.Profiles["b"].Video.FPS != 30 {
		t.Errorf("fps a %d b %d, want 15 and 30", s.Profiles["a"].Video.FPS, s.Profiles["b"].Video.FPS)
	}
}
