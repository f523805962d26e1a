package cstorage

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz corpus from the vectors")

// frameListVectors is the one table behind the encode/decode tests and the
// fuzz seeds: frames to encode, or a raw body and the error it must give.
var frameListVectors = []struct {
	name   string
	frames []*av.Frame
	body   []byte // malformed input (frames nil)
	err    error
}{
	{name: "empty slice", frames: []*av.Frame{}},
	{name: "key frame", frames: []*av.Frame{
		{Codec: av.H264, Seq: 0, Key: true, NALUs: [][]byte{{0x67, 1}, {0x68, 2}, {0x65, 3, 4}}, Capture: clock.Epoch()},
	}},
	{name: "video and audio", frames: []*av.Frame{
		{Codec: av.H264, Seq: 30, PTS: 2 * time.Second, Key: true, NALUs: [][]byte{{0x67}, {0x68}, {0x65, 9}}, Capture: clock.Epoch().Add(2 * time.Second)},
		{Codec: av.AAC, Seq: 31, PTS: 2 * time.Second, Key: true, Payload: []byte{1, 2, 3}, Capture: clock.Epoch().Add(2 * time.Second)},
		{Codec: av.H264, Seq: 31, PTS: 2*time.Second + time.Second/15, NALUs: [][]byte{{0x41, 7, 7}}, Capture: clock.Epoch().Add(2*time.Second + time.Second/15)},
	}},
	{name: "bad magic", body: []byte("FSFX\x01\x00\x00\x00\x00"), err: ErrFrameListMagic},
	{name: "bad version", body: []byte("FSFL\x02\x00\x00\x00\x00"), err: ErrFrameListMagic},
	{name: "short header", body: []byte("FSFL"), err: ErrFrameListMagic},
	{name: "too many frames", body: []byte("FSFL\x01\xff\xff\xff\xff"), err: ErrFrameListTooMany},
	{name: "missing record", body: []byte("FSFL\x01\x00\x00\x00\x01"), err: ErrFrameListTruncated},
	{name: "size beyond body", body: append([]byte("FSFL\x01\x00\x00\x00\x01\x00\x01"), append(make([]byte, 24), 0, 0, 0, 9, 1)...), err: ErrFrameListTruncated},
	{name: "trailing bytes", body: []byte("FSFL\x01\x00\x00\x00\x00\xff"), err: ErrFrameListTrailing},
}

func vectorBody(t testing.TB, i int) []byte {
	v := frameListVectors[i]
	if v.frames == nil {
		return v.body
	}
	b, err := AppendFrameList(nil, v.frames)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFrameListVectors(t *testing.T) {
	for i, v := range frameListVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := ParseFrameList(nil, vectorBody(t, i))
			if v.frames == nil {
				if !errors.Is(err, v.err) {
					t.Fatalf("error %v, want %v", err, v.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []FrameInfo
			for _, f := range v.frames {
				size := len(f.Payload)
				for _, n := range f.NALUs {
					size += 4 + len(n)
				}
				want = append(want, FrameInfo{Audio: !f.Codec.IsVideo(), Key: f.Key, Seq: f.Seq, PTS: f.PTS, Capture: f.Capture.UTC(), Size: size})
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("round trip (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParseFrameList(f *testing.F) {
	for i := range frameListVectors {
		f.Add(vectorBody(f, i))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		infos, err := ParseFrameList(nil, body)
		if err != nil {
			return
		}
		if len(infos) > MaxFrameListFrames || len(infos)*frameRecordSize > len(body) {
			t.Fatalf("%d records from %d bytes", len(infos), len(body))
		}
	})
}

// TestFuzzCorpus keeps testdata/fuzz/FuzzParseFrameList in step with the
// vectors (go test -run FuzzCorpus -update rewrites it).
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseFrameList")
	for i, v := range frameListVectors {
		file := filepath.Join(dir, fmt.Sprintf("vector-%02d", i))
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", vectorBody(t, i))
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil || string(got) != want {
			t.Fatalf("corpus file %s (%s) is stale: run go test -run FuzzCorpus -update", file, v.name)
		}
	}
}
