package source

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/rng"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// framesDigest hashes everything a frame carries: sequence, timestamps,
// key flag, capture time, every NAL unit and the audio payload.
func framesDigest(frames ...[]*av.Frame) string {
	h := sha256.New()
	var b [8]byte
	put := func(v uint64) { binary.BigEndian.PutUint64(b[:], v); h.Write(b[:]) }
	for _, fs := range frames {
		for _, f := range fs {
			put(uint64(f.Codec))
			put(f.Seq)
			put(uint64(f.PTS))
			put(uint64(f.DTS))
			if f.Key {
				put(1)
			} else {
				put(0)
			}
			put(uint64(f.Capture.UnixNano()))
			put(uint64(len(f.NALUs)))
			for _, n := range f.NALUs {
				put(uint64(len(n)))
				h.Write(n)
			}
			put(uint64(len(f.Payload)))
			h.Write(f.Payload)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestFramesGolden pins the frames of a minute of the quickstart camera
// (with a key-frame request and a motion burst): changes to how the source
// stores its frames must not change a byte of them. -update rewrites it.
func TestFramesGolden(t *testing.T) {
	sh, err := NewShared(quickstart())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(clock.Epoch())
	c := &collected{}
	s := New(sh, 7, clk, rng.New(3, "dev-7", "source"), c)
	s.Start(context.Background())
	clk.Advance(20 * time.Second)
	s.SetMotion(true)
	clk.Advance(10*time.Second + 7*time.Millisecond)
	s.RequestKeyFrame()
	clk.Advance(10 * time.Second)
	s.SetMotion(false)
	s.Stop()
	clk.Advance(time.Second)
	s.Start(context.Background())
	clk.Advance(19 * time.Second)
	s.Stop()
	got := framesDigest(c.video, c.audio) + "\n"
	path := filepath.Join("testdata", "quickstart-60s.sha256")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("frames digest %s, golden %s", strings.TrimSpace(got), strings.TrimSpace(string(want)))
	}
}

// TestNALUChunksSizedToUse: the chunk the frames' NAL unit lists are carved
// from holds chunkFrames access units at the last chunk's mean plus the
// longest non-key list (so a chunk serves about chunkFrames frames), and
// never less than the longest list of the next frame's kind.
func TestNALUChunksSizedToUse(t *testing.T) {
	c, s := generate(t, quickstart(), 20*time.Second, 1)
	if s.lastChunkNALUs == 0 || cap(s.nalus) > max(s.lastChunkNALUs+s.maxP, s.maxKey) {
		t.Fatalf("chunk of %d slots; the last chunk used %d per %d frames, the longest lists are %d/%d", cap(s.nalus), s.lastChunkNALUs, chunkFrames, s.maxKey, s.maxP)
	}
	longestKey, longest := 0, 0
	for _, f := range c.video {
		if f.Key {
			longestKey = max(longestKey, len(f.NALUs))
		} else {
			longest = max(longest, len(f.NALUs))
		}
	}
	if s.maxKey != longestKey || s.maxP != longest || cap(s.nalus) < longest {
		t.Fatalf("chunk of %d slots, longest lists %d/%d (source says %d/%d)", cap(s.nalus), longestKey, longest, s.maxKey, s.maxP)
	}
	longest = max(longest, longestKey)
	if s.lastChunkNALUs > chunkFrames*longest || s.lastChunkNALUs < chunkFrames {
		t.Fatalf("the last chunk held %d NAL units per %d frames", s.lastChunkNALUs, chunkFrames)
	}
}

// TestUnitsDict: every NAL unit and payload of the profile's frames is in
// Units but the stamps, so a Packed made with it holds only the stamps.
func TestUnitsDict(t *testing.T) {
	c, s := generate(t, quickstart(), 12*time.Second, 1)
	p := av.NewPacked(s.sh.Units())
	frames := append(append([]*av.Frame(nil), c.video...), c.audio...)
	stamps := 0
	for _, f := range frames {
		p.Append(f)
		if f.Codec.IsVideo() {
			stamps++
		}
	}
	if refs, distinct := p.Units(); distinct != 0 {
		t.Fatalf("%d of %d units outside the Dict", distinct, refs)
	}
	if size := p.Copied(); size != stamps*(1+stamp.SizeH264) {
		t.Fatalf("arena holds %d bytes, want %d stamps of %d", size, stamps, stamp.SizeH264)
	}
}
