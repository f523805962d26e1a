package stamp

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
)

// TestStampsSurviveFFmpeg writes a stamped synthesised H.264 stream, checks
// that ffmpeg decodes it cleanly, remuxes it with `ffmpeg -c copy` to FLV
// and back to Annex-B, and reads every stamp back from what ffmpeg wrote:
// from each FLV video tag body (ReadFLVVideo) and from the SEI NAL units of
// the elementary stream.
func TestStampsSurviveFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	const frames, device = 45, 4242
	synth, err := h264.NewSynth(h264.SynthConfig{Width: 640, Height: 360, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var es []byte
	var nalus [][]byte
	want := make([]Stamp, frames)
	for i := 0; i < frames; i++ {
		want[i] = New(device, uint64(i), base.Add(time.Duration(i)*time.Second/15))
		sei := Append(make([]byte, 0, SizeH264), av.H264, want[i])
		size := 3000
		if i%30 == 0 {
			size = 30000
		}
		nalus, _ = synth.AppendAccessUnit(nalus[:0], h264.Picture{GOP: int64(i / 30), Index: i % 30}, size, sei)
		es = h264.AppendAnnexB(es, nalus...)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.h264")
	if err := os.WriteFile(in, es, 0o644); err != nil {
		t.Fatal(err)
	}
	testpeer.FFmpegDecodeClean(t, in)

	flvPath := filepath.Join(dir, "out.flv")
	esPath := filepath.Join(dir, "out.h264")
	for _, out := range []string{flvPath, esPath} {
		if b, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-r", "15", "-i", in, "-c", "copy", "-y", out); err != nil {
			t.Fatalf("ffmpeg remux to %s: %v\n%s", out, err, b)
		}
	}

	flv, err := os.ReadFile(flvPath)
	if err != nil {
		t.Fatal(err)
	}
	var got []Stamp
	for _, body := range flvVideoBodies(t, flv) {
		if s, ok := ReadFLVVideo(body); ok {
			got = append(got, s)
		}
	}
	checkStamps(t, "FLV", got, want)

	out, err := os.ReadFile(esPath)
	if err != nil {
		t.Fatal(err)
	}
	all, err := h264.SplitAnnexB(nil, out)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, u := range all {
		if s, ok := Read(av.H264, u); ok {
			got = append(got, s)
		}
	}
	checkStamps(t, "Annex-B", got, want)
}

func checkStamps(t *testing.T, where string, got, want []Stamp) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: read %d stamps, want %d", where, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: stamp %d = %+v, want %+v", where, i, got[i], want[i])
		}
	}
}

// flvVideoBodies walks an FLV file (header, then tags of an 11-byte header,
// body and 4-byte previous tag size) and returns the video tag bodies.
func flvVideoBodies(t *testing.T, b []byte) [][]byte {
	t.Helper()
	if len(b) < 13 || string(b[:3]) != "FLV" {
		t.Fatal("not an FLV file")
	}
	p := int(b[5])<<24 | int(b[6])<<16 | int(b[7])<<8 | int(b[8])
	p += 4
	var out [][]byte
	for p+11 <= len(b) {
		typ := b[p]
		n := int(b[p+1])<<16 | int(b[p+2])<<8 | int(b[p+3])
		if p+11+n > len(b) {
			t.Fatalf("FLV tag at %d runs past the end", p)
		}
		if typ == 9 {
			out = append(out, b[p+11:p+11+n])
		}
		p += 11 + n + 4
	}
	return out
}
