package flv

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden pins the bytes of the file built from the tag vectors
// (go test -update after an intended change).
func TestGolden(t *testing.T) {
	got, _ := sampleFile(t)
	file := filepath.Join("testdata", "golden", "vectors.flv")
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
		t.Fatalf("file differs from %s (%d vs %d bytes)", file, len(got), len(want))
	}
}
