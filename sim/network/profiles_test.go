package network

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/units"
)

var update = flag.Bool("update", false, "rewrite golden files and shipped synthetic traces")

const shippedDir = "../../scenarios/networks"

func TestShippedProfiles(t *testing.T) {
	ps, err := LoadProfiles(shippedDir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"home-wifi", "congested-wifi", "dsl", "4g-urban", "4g-rural", "3g", "satellite"}
	for _, name := range want {
		p, ok := ps[name]
		if !ok {
			t.Errorf("profile %s missing", name)
			continue
		}
		raw, _ := os.ReadFile(filepath.Join(shippedDir, name+".yaml"))
		if !bytes.HasPrefix(raw, []byte("# "+name+":")) || !bytes.Contains(raw, []byte("Where the numbers come from")) {
			t.Errorf("%s.yaml does not open with a comment saying where its numbers come from", name)
		}
		if p.Up.Delay == 0 {
			t.Errorf("%s: no uplink delay", name)
		}
		if _, err := New(Options{Clock: clock.NewFake(clock.Epoch()), Device: "x", Profile: p}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d profiles shipped, want %d", len(ps), len(want))
	}
}

// shippedTraces are the synthetic traces fleetsim ships, with how they
// were made.
var shippedTraces = []struct {
	file   string
	seed   uint64
	length time.Duration
	levels []units.Bitrate
	hold   time.Duration
}{
	{"4g-rural-synthetic.trace", 4, 60 * time.Second,
		[]units.Bitrate{300 * units.Kbps, 1 * units.Mbps, 2 * units.Mbps, 4 * units.Mbps}, 3 * time.Second},
}

func TestShippedTraces(t *testing.T) {
	for _, st := range shippedTraces {
		tr, err := SynthTrace(rand.New(rand.NewPCG(st.seed, st.seed)), st.length, st.levels, st.hold)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		tr.WriteTo(&b)
		path := filepath.Join(shippedDir, "traces", st.file)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s differs from its generator (run with -update)", st.file)
		}
		if tr.Period() != st.length {
			t.Errorf("%s: period %v, want %v", st.file, tr.Period(), st.length)
		}
		mean := tr.MeanRate()
		if mean < st.levels[0] || mean > st.levels[len(st.levels)-1] {
			t.Errorf("%s: mean rate %v outside the levels", st.file, mean)
		}
	}
}

// profileErrorCases drive the error tests and seed the fuzz target.
var profileErrorCases = []struct{ in, want string }{
	{"up: {rate: 4mbit, dealy: 20ms}", "line 1: field dealy not found"},
	{"up: {rate: fast}", "bit rate"},
	{"up: {distribution: lognormal}", "unknown distribution"},
	{"up: {loss: 1%, gilbert_elliott: {p: 1%}}", "alternatives"},
	{"up: {reorder: 5%}", "needs a delay"},
	{"outages: {mtbf: 1h}", "both or neither"},
	{"", "empty profile"},
	{"up: {delay: 20}", "duration"},
}

func TestParseProfileErrors(t *testing.T) {
	for _, c := range profileErrorCases {
		_, err := ParseProfile(strings.NewReader(c.in), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseProfile(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
	// Every problem at once.
	_, err := ParseProfile(strings.NewReader("up: {reorder: 5%}\ndown: {reorder: 5%}\n"), "t.yaml")
	if err == nil || strings.Count(err.Error(), "needs a delay") != 2 {
		t.Errorf("want both problems reported, got %v", err)
	}
	p, err := ParseProfile(strings.NewReader("up: {rate: 4mbit, delay: 20ms, jitter: 5ms, loss: 0.2%}"), "t.yaml")
	if err != nil || p.Up.Rate != 4*units.Mbps || p.Up.Loss != 0.002 || p.Up.Delay.D() != 20*time.Millisecond {
		t.Errorf("sketch profile = %+v, %v", p, err)
	}
}

func FuzzParseProfile(f *testing.F) {
	for _, c := range profileErrorCases {
		f.Add([]byte(c.in))
	}
	files, _ := filepath.Glob(filepath.Join(shippedDir, "*.yaml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseProfile(bytes.NewReader(in), "fuzz.yaml")
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseProfile returned an invalid profile: %v", err)
		}
		// Every accepted profile builds a link (traces aside: not on disk).
		p.Up.Trace, p.Down.Trace = "", ""
		if _, err := New(Options{Clock: clock.NewFake(clock.Epoch()), Device: "f", Profile: p}); err != nil {
			t.Fatalf("valid profile refused by New: %v", err)
		}
	})
}
