package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/rng"
)

const planBase = `name: plan
seed: 42
duration: 30m
profiles:
  cam: {}
fleet:
  - {group: living-rooms, count: 1000, profile: cam, plan: {event: 80%, full-time: 15%, none: 5%},
     clock_skew: {dist: normal, mean: 0s, stddev: 90s}}
  - {group: porches, count: 7, profile: cam, plan: {event: 80%, full-time: 15%, none: 5%}}
  - {group: sheds, count: 293, profile: cam, clock_skew: {dist: uniform, min: -10s, max: 10s}}
ramp: {over: 60s}
timeline:
  - {at: 1m, group: living-rooms, fraction: 33%, reboot: {}}
  - {at: 2m, fraction: 10%, reboot: {}}
`

func loadPlan(t *testing.T, sets ...string) (*Scenario, *FleetPlan) {
	t.Helper()
	opt := testOptions()
	opt.Set = sets
	s, err := Load("plan.yaml", []byte(planBase), opt)
	if err != nil {
		t.Fatal(err)
	}
	return s, NewFleetPlan(s)
}

func TestFleetPlanDeterministic(t *testing.T) {
	_, a := loadPlan(t)
	_, b := loadPlan(t)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same scenario and seed gave different plans")
	}
	_, c := loadPlan(t, "seed=43")
	same := 0
	for i := range a.Devices {
		if a.Devices[i].Seed == c.Devices[i].Seed {
			same++
		}
		if a.Devices[i].ID != c.Devices[i].ID {
			t.Fatalf("ids depend on the seed: %s vs %s", a.Devices[i].ID, c.Devices[i].ID)
		}
	}
	if same != 0 {
		t.Errorf("%d device seeds unchanged by a new run seed", same)
	}
}

func TestFleetPlanDevices(t *testing.T) {
	s, p := loadPlan(t)
	if len(p.Devices) != 1300 {
		t.Fatalf("%d devices, want 1300", len(p.Devices))
	}
	idRE := regexp.MustCompile(`^[a-z-]+-\d{5}$`)
	ids := map[string]bool{}
	for i, d := range p.Devices {
		if d.Index != i || ids[d.ID] || !idRE.MatchString(d.ID) {
			t.Fatalf("device %d: index %d id %q", i, d.Index, d.ID)
		}
		ids[d.ID] = true
		if d.Seed != rng.Seed(s.Seed, d.ID) {
			t.Fatalf("%s: seed is not rng.Seed(run, id)", d.ID)
		}
		if want := fmt.Sprintf("%s-%05d", d.Group, d.Ordinal); d.ID != want {
			t.Fatalf("id %s, want %s", d.ID, want)
		}
	}
	if p.Devices[1000].ID != "porches-00000" || p.Devices[1007].ID != "sheds-00000" {
		t.Errorf("groups are not laid out in file order: %s %s", p.Devices[1000].ID, p.Devices[1007].ID)
	}
	if g := p.Groups[2]; g.Name != "sheds" || g.First != 1007 || g.Count != 293 {
		t.Errorf("group range %+v", g)
	}
}

// Plans are dealt in exact proportions per group (largest remainder).
func TestFleetPlanMixProportions(t *testing.T) {
	_, p := loadPlan(t)
	count := func(group string) map[cloudapi.PlanKind]int {
		m := map[cloudapi.PlanKind]int{}
		for _, d := range p.Devices {
			if d.Group == group {
				m[d.Plan]++
			}
		}
		return m
	}
	for _, tc := range []struct {
		group string
		want  map[cloudapi.PlanKind]int
	}{
		{"living-rooms", map[cloudapi.PlanKind]int{"event": 800, "full-time": 150, "none": 50}},
		{"porches", map[cloudapi.PlanKind]int{"event": 6, "full-time": 1}}, // 5.6, 1.05, 0.35
		{"sheds", map[cloudapi.PlanKind]int{"full-time": 293}},             // the default mix
	} {
		if got := count(tc.group); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: plans %v, want %v", tc.group, got, tc.want)
		}
	}
	// dealt in a shuffled order, not in runs
	run := 1
	for i := 1; i < 1000; i++ {
		if p.Devices[i].Plan == p.Devices[i-1].Plan {
			run++
		}
	}
	if run > 900 {
		t.Errorf("plans are not shuffled within the group (%d equal neighbours)", run)
	}
}

// Shards partition the fleet exactly and see the same devices the full
// plan has (DESIGN.md §9).
func TestShardsPartition(t *testing.T) {
	_, p := loadPlan(t)
	for n := 1; n <= 7; n++ {
		seen := make([]int, len(p.Devices))
		for i := 0; i < n; i++ {
			sh, err := ParseShard(fmt.Sprintf("%d/%d", i, n))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Shard(sh) {
				seen[d.Index]++
				if !reflect.DeepEqual(d, p.Devices[d.Index]) {
					t.Fatalf("shard %v: device %d differs from the plan", sh, d.Index)
				}
				if d.Index%n != i || !sh.Has(d.Index) {
					t.Fatalf("shard %v holds device %d", sh, d.Index)
				}
			}
		}
		for idx, c := range seen {
			if c != 1 {
				t.Fatalf("%d shards: device %d in %d shards", n, idx, c)
			}
		}
	}
	for _, bad := range []string{"", "1", "2/2", "-1/3", "a/b", "1/0", "0/3x"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
}

func TestFleetPlanRamp(t *testing.T) {
	_, p := loadPlan(t)
	starts := make([]time.Duration, len(p.Devices))
	for i, d := range p.Devices {
		starts[i] = d.Start
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	n := len(starts)
	for i, st := range starts {
		if want := time.Duration(float64(time.Minute) * float64(i) / float64(n)); st != want {
			t.Fatalf("slot %d starts at %v, want %v (even spread over 60s)", i, st, want)
		}
	}
	// groups ramp together: the small group is not all at the end
	var porches time.Duration
	for _, d := range p.Devices[1000:1007] {
		porches += d.Start
	}
	if porches == 0 || porches/7 > 55*time.Second {
		t.Errorf("porches start at mean %v", porches/7)
	}
	_, pr := loadPlan(t, "ramp={rate: 100/s}")
	var last time.Duration
	for _, d := range pr.Devices {
		last = max(last, d.Start)
	}
	if want := time.Duration(float64(n-1) / 100 * float64(time.Second)); last != want {
		t.Errorf("rate ramp ends at %v, want %v", last, want)
	}
	_, pn := loadPlan(t, "ramp={}")
	for _, d := range pn.Devices {
		if d.Start != 0 {
			t.Fatalf("no ramp, device starts at %v", d.Start)
		}
	}
}

func TestFleetPlanClockSkew(t *testing.T) {
	_, p := loadPlan(t)
	var sum, sq float64
	for _, d := range p.Devices[:1000] {
		x := d.ClockSkew.Seconds()
		sum += x
		sq += x * x
		if math.Abs(x) > 360 {
			t.Fatalf("skew %v beyond 4σ", d.ClockSkew)
		}
	}
	mean := sum / 1000
	sd := math.Sqrt(sq/1000 - mean*mean)
	// 1000 draws: standard error of the mean 2.8 s, of σ about 2 s
	if math.Abs(mean) > 12 || math.Abs(sd-90) > 9 {
		t.Errorf("normal skew: mean %.1fs sd %.1fs, want 0s and 90s", mean, sd)
	}
	for _, d := range p.Devices[1000:1007] {
		if d.ClockSkew != 0 {
			t.Errorf("%s: skew %v without a distribution", d.ID, d.ClockSkew)
		}
	}
	for _, d := range p.Devices[1007:] {
		if d.ClockSkew < -10*time.Second || d.ClockSkew > 10*time.Second {
			t.Errorf("%s: uniform skew %v outside ±10s", d.ID, d.ClockSkew)
		}
	}
}

func TestFleetPlanSelect(t *testing.T) {
	s, p := loadPlan(t)
	sel := p.Select(s.Timeline[0], 0)
	if len(sel) != 330 || !sort.IntsAreSorted(sel) {
		t.Fatalf("33%% of 1000: %d devices (sorted %v)", len(sel), sort.IntsAreSorted(sel))
	}
	for _, i := range sel {
		if p.Devices[i].Group != "living-rooms" {
			t.Fatalf("selected %s outside the group", p.Devices[i].ID)
		}
	}
	if again := p.Select(s.Timeline[0], 0); !reflect.DeepEqual(sel, again) {
		t.Error("selection is not deterministic")
	}
	if other := p.Select(s.Timeline[0], 1); reflect.DeepEqual(sel, other) {
		t.Error("another entry selects the same devices")
	}
	if all := p.Select(s.Timeline[1], 1); len(all) != 130 {
		t.Errorf("10%% of the whole fleet: %d devices", len(all))
	}
	whole := &Event{Group: "porches", Fraction: 1}
	if g := p.Select(whole, 5); len(g) != 7 || g[0] != 1000 {
		t.Errorf("whole group: %v", g)
	}
	tiny := &Event{Group: "porches", Fraction: 0.01}
	if g := p.Select(tiny, 5); len(g) != 1 {
		t.Errorf("1%% of 7: %d devices, want at least one", len(g))
	}
	kinds := p.DealPlans(PlanMix{{"none", 0.5}, {"event", 0.5}}, sel, 0)
	n := 0
	for _, k := range kinds {
		if k == "none" {
			n++
		}
	}
	if len(kinds) != 330 || n != 165 {
		t.Errorf("deal 50/50 over 330: %d none of %d", n, len(kinds))
	}
}

func BenchmarkNewFleetPlan(b *testing.B) {
	opt := testOptions()
	opt.Devices = 10000
	s, err := Load("plan.yaml", []byte(planBase), opt)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewFleetPlan(s)
	}
}

func BenchmarkLoadQuickstart(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadFile("../../scenarios/quickstart.yaml", testOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
