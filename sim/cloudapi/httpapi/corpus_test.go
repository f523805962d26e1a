package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "write the fuzz seed corpora under testdata/fuzz from the test vectors")

// writeCorpus writes one seed file per entry (each entry: the fuzz
// arguments) in the `go test fuzz v1` format.
func writeCorpus(t *testing.T, target string, entries [][]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range entries {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, a := range args {
			switch v := a.(type) {
			case string:
				fmt.Fprintf(&b, "string(%q)\n", v)
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			default:
				t.Fatalf("corpus: unsupported %T", a)
			}
		}
		sum := sha256.Sum256([]byte(b.String()))
		if err := os.WriteFile(filepath.Join(dir, "seed-"+hex.EncodeToString(sum[:8])), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	keys := []string{HeaderSliceSeq, HeaderSliceFormat, "Content-Type", HeaderSliceUTCStart, HeaderSliceUTCEnd,
		HeaderSlicePTSFirst, HeaderSlicePTSLast, HeaderSliceSeqFirst, HeaderSliceSeqLast, HeaderEventID, HeaderSliceBackfill, HeaderSliceAudio, HeaderSliceAudioFirst, HeaderSliceAudioLast}
	var sh [][]any
	for _, v := range sliceVectors {
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = v.header[k]
		}
		sh = append(sh, []any{strings.Join(vals, "\n")})
	}
	writeCorpus(t, "FuzzParseSliceHeader", sh)
	var jb [][]any
	for _, v := range jsonVectors {
		jb = append(jb, []any{v.kind, []byte(v.body)})
	}
	writeCorpus(t, "FuzzDecodeBodies", jb)
}
