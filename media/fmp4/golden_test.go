package fmp4

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetsim/fleetsim/media/av"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden pins the exact bytes of small slices (go test -update after
// an intended change; ffprobe the new files before committing them).
func TestGolden(t *testing.T) {
	for _, c := range []av.Codec{av.H264, av.H265} {
		t.Run(c.String(), func(t *testing.T) {
			got := smallSlice(t, c)
			file := filepath.Join("testdata", "golden", c.String()+"-aac.mp4")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("slice differs from %s (%d vs %d bytes)", file, len(got), len(want))
			}
		})
	}
}
