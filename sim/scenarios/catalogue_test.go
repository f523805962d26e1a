package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The catalogue of bad scenario files (testdata/scenarios/bad, one error
// class per file, named in its first comment) and their golden messages
// (NAME.golden, refreshed with -update). Paths are relative to the
// repository root, as `fleetsim validate` run there prints them.
func TestBadCatalogue(t *testing.T) {
	t.Chdir("../..")
	files, err := filepath.Glob("testdata/scenarios/bad/*.yaml")
	if err != nil || len(files) < 15 {
		t.Fatalf("catalogue: %d files (%v); want at least 15", len(files), err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# Error class: ") {
				t.Errorf("%s does not open with '# Error class: …'", file)
			}
			opt := testOptions()
			// only the catalogue's own named profiles, so that messages do
			// not change when scenarios/networks gains a profile
			opt.NetworkDirs = []string{"testdata/scenarios/bad/networks"}
			_, err = LoadFile(file, opt)
			var se *Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("loaded without problems (err %v); a bad file must fail", err)
			}
			for _, p := range se.Problems {
				if p.Pos.Override == "" && (p.Pos.Line < 1 || p.Pos.Col < 1 || !strings.HasPrefix(p.Pos.File, "testdata/scenarios/bad/")) {
					t.Errorf("problem without a file position: %q", p.String())
				}
				if !strings.Contains(p.Msg, "expected") {
					t.Errorf("problem does not say what was expected: %q", p.String())
				}
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./sim/scenarios -run TestBadCatalogue -update)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// Every scenario of the library loads, opens with a comment saying what it
// reproduces, is named after its file, has thresholds, and plans a fleet.
func TestLibraryValidates(t *testing.T) {
	t.Chdir("../..")
	files, _ := filepath.Glob("scenarios/*.yaml")
	if len(files) < 9 {
		t.Fatalf("library has %d scenarios; want quickstart and the 8 realistic ones", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := LoadFile(file, testOptions())
			if err != nil {
				t.Fatalf("does not validate:\n%v", err)
			}
			data, _ := os.ReadFile(file)
			if !strings.HasPrefix(string(data), "# ") {
				t.Errorf("does not open with a comment saying what it reproduces")
			}
			if want := strings.TrimSuffix(filepath.Base(file), ".yaml"); s.Name != want {
				t.Errorf("name %q, want %q (the file's name)", s.Name, want)
			}
			if len(s.Thresholds) == 0 {
				t.Errorf("no thresholds")
			}
			plan := NewFleetPlan(s)
			if len(plan.Devices) != s.Devices() || len(plan.Devices) == 0 {
				t.Errorf("plan has %d devices, scenario %d", len(plan.Devices), s.Devices())
			}
		})
	}
}

func TestQuickstartShape(t *testing.T) {
	t.Chdir("../..")
	s, err := LoadFile("scenarios/quickstart.yaml", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s.Devices() < 80 || s.Devices() > 120 || s.Duration.D().Seconds() > 60 || s.Target.Kind != TargetEmbedded {
		t.Errorf("quickstart: %d devices, %v, target %s; want about 100 cameras, at most 60 s, embedded", s.Devices(), s.Duration, s.Target.Kind)
	}
}
