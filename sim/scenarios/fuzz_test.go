package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds are the library scenarios and the bad catalogue: the same
// files the golden and library tests use.
func fuzzSeeds(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, pat := range []string{"../../scenarios/*.yaml", "../../testdata/scenarios/bad/*.yaml"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = b
		}
	}
	return out
}

// checkLoad is the fuzz property: Load never panics; a failure is an *Error
// whose every problem has a position and says what was expected; a
// success plans its fleet.
func checkLoad(t *testing.T, data []byte, sets ...string) {
	opt := testOptions()
	opt.Set = sets
	s, err := Load("fuzz.yaml", data, opt)
	if err != nil {
		var se *Error
		if !errors.As(err, &se) || len(se.Problems) == 0 {
			t.Fatalf("error %v is not a list of problems", err)
		}
		for _, p := range se.Problems {
			if p.Pos.Override == "" && (p.Pos.Line < 1 || p.Pos.Col < 1) {
				t.Fatalf("problem without a position: %q", p.String())
			}
			if !strings.Contains(p.Msg, "expected") {
				t.Fatalf("problem without an expectation: %q", p.String())
			}
		}
		return
	}
	if s.Devices() <= 5000 {
		plan := NewFleetPlan(s)
		if len(plan.Devices) != s.Devices() {
			t.Fatalf("plan of %d devices for %d", len(plan.Devices), s.Devices())
		}
	}
}

func FuzzLoad(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkLoad(t, data) })
}

// setSeeds are --set vectors for FuzzSet (TestSetOverrides has the
// checked ones).
var setSeeds = []string{
	"networks.home-wifi.up.delay=200ms", "fleet.0.count=10", "fleet.homes.count=-1", "thresholds.frames.loss_ratio=< 1%",
	"fleet.0.plan={event: 50%, none: 50%}", "timeline.0.at=1h", "a.b.c.d=[1, 2]", "=", "fleet..count=1", "fleet.99999999999.x=1",
}

func FuzzSet(f *testing.F) {
	for _, v := range setSeeds {
		f.Add(v)
	}
	base, err := os.ReadFile("../../scenarios/quickstart.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, set string) { checkLoad(t, base, set) })
}

// TestFuzzCorpus keeps the committed corpora (testdata/fuzz/FuzzXxx) in
// step with the seed files; -update rewrites them.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	seeds := fuzzSeeds(t)
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	if len(files) != len(seeds) {
		t.Errorf("%d corpus files for %d seeds: run -update", len(files), len(seeds))
	}
	setDir := filepath.Join("testdata", "fuzz", "FuzzSet")
	if *update {
		if err := os.MkdirAll(setDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, v := range setSeeds {
			body := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", v)
			if err := os.WriteFile(filepath.Join(setDir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if files, _ := filepath.Glob(filepath.Join(setDir, "seed-*")); len(files) != len(setSeeds) {
		t.Errorf("%d FuzzSet corpus files for %d seeds: run -update", len(files), len(setSeeds))
	}
	for name, b := range seeds {
		t.Run(name, func(t *testing.T) { checkLoad(t, b) })
	}
}
