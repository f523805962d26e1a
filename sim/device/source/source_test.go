package source

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// quickstart is the reference camera: 640x360 15 fps GOP 30 512 kbps H.264,
// 32 kbps AAC 16 kHz mono.
func quickstart() Profile {
	return Profile{
		Video: VideoConfig{Codec: av.H264, Width: 640, Height: 360, FPS: 15, GOP: 30, Bitrate: 512 * units.Kbps, IPRatio: 10, Variance: 0.2},
		Audio: AudioConfig{Codec: av.AAC, SampleRate: 16000, Channels: 1, Bitrate: 32 * units.Kbps},
	}
}

type collected struct {
	video, audio []*av.Frame
	lags         []time.Duration
}

func (c *collected) Frame(f *av.Frame, lag time.Duration) {
	if f.Codec.IsVideo() {
		c.video = append(c.video, f)
	} else {
		c.audio = append(c.audio, f)
	}
	c.lags = append(c.lags, lag)
}

func generate(t testing.TB, p Profile, d time.Duration, seed uint64) (*collected, *Source) {
	t.Helper()
	sh, err := NewShared(p)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(clock.Epoch())
	c := &collected{}
	s := New(sh, 7, clk, rng.New(seed, "dev-7", "source"), c)
	s.Start(context.Background())
	clk.Advance(d)
	s.Stop()
	return c, s
}

func TestFrameScheduleAndTimestamps(t *testing.T) {
	c, _ := generate(t, quickstart(), 10*time.Second, 1)
	// frames at i/15 s for i = 0…150 and at k·64 ms for k = 0…156
	if len(c.video) != 151 || len(c.audio) != 157 {
		t.Fatalf("%d video and %d audio frames in 10 s, want 151 and 157", len(c.video), len(c.audio))
	}
	for i, f := range c.video {
		wantPTS := time.Duration(i) * time.Second / 15
		if f.Seq != uint64(i) || f.PTS != wantPTS || !f.Capture.Equal(clock.Epoch().Add(wantPTS)) {
			t.Fatalf("video %d: seq %d pts %v capture %v", i, f.Seq, f.PTS, f.Capture)
		}
		if f.Key != (i%30 == 0) {
			t.Fatalf("video %d: key %v, want an IDR every 30 frames", i, f.Key)
		}
		if f.Key && h264.Type(f.NALUs[0]) != h264.NALSPS {
			t.Fatalf("video %d: key frame without SPS first", i)
		}
	}
	for k, f := range c.audio {
		if f.PTS != time.Duration(k)*64*time.Millisecond || len(f.Payload) != aac.FrameSize(32*units.Kbps, 16000) {
			t.Fatalf("audio %d: pts %v size %d", k, f.PTS, len(f.Payload))
		}
	}
	for _, l := range c.lags {
		if l != 0 {
			t.Fatalf("lag %v on a fake clock", l)
		}
	}
}

func TestBitrateAndIPRatioFollowTheModel(t *testing.T) {
	for _, codec := range []av.Codec{av.H264, av.H265} {
		p := quickstart()
		p.Video.Codec = codec
		c, _ := generate(t, p, 10*time.Minute, 2)
		var total, iSum, pSum float64
		var iN, pN int
		for _, f := range c.video[:len(c.video)-1] { // whole GOPs
			n := float64(f.Size())
			total += n
			if f.Key {
				iSum += n
				iN++
			} else {
				pSum += n
				pN++
			}
		}
		kbps := total * 8 / 600 / 1000
		if math.Abs(kbps-512)/512 > 0.02 {
			t.Errorf("%v: video bitrate %.1f kbps, want 512 ±2%%", codec, kbps)
		}
		ratio := (iSum / float64(iN)) / (pSum / float64(pN))
		if math.Abs(ratio-10)/10 > 0.1 {
			t.Errorf("%v: I/P size ratio %.2f, want 10 ±10%%", codec, ratio)
		}
	}
}

func TestMotionBurstsAndKeyFrameRequest(t *testing.T) {
	p := quickstart()
	p.Video.Variance = 0
	p.Video.MotionBurst = 2
	sh, err := NewShared(p)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(clock.Epoch())
	c := &collected{}
	s := New(sh, 1, clk, rng.New(1), c)
	s.Start(context.Background())
	clk.Advance(time.Second) // frames 0…15
	s.SetMotion(true)
	s.RequestKeyFrame()
	clk.Advance(time.Second / 15) // frame 16
	s.Stop()
	calm, moving := c.video[2], c.video[len(c.video)-1]
	if !moving.Key {
		t.Fatal("frame after RequestKeyFrame is not an IDR")
	}
	_, pSize := sh.MeanFrameSizes()
	if d := math.Abs(float64(calm.Size()) - pSize); d > 2 {
		t.Errorf("calm P frame %d bytes, want %.0f", calm.Size(), pSize)
	}
	iSize, _ := sh.MeanFrameSizes()
	if d := math.Abs(float64(moving.Size()) - 2*iSize); d > 2 {
		t.Errorf("IDR in motion %d bytes, want 2×%.0f", moving.Size(), iSize)
	}
}

func TestSameSeedSameSizesAndRestartKeepsSequences(t *testing.T) {
	a, _ := generate(t, quickstart(), 5*time.Second, 9)
	b, s := generate(t, quickstart(), 5*time.Second, 9)
	for i := range a.video {
		if a.video[i].Size() != b.video[i].Size() {
			t.Fatalf("frame %d: sizes %d vs %d with the same seed", i, a.video[i].Size(), b.video[i].Size())
		}
	}
	v, au := s.Sequences()
	if v != uint64(len(b.video)) || au != uint64(len(b.audio)) {
		t.Fatalf("sequences %d/%d after %d/%d frames", v, au, len(b.video), len(b.audio))
	}
}

// TestStreamDecodesAndStampsReadBack writes the synthesised elementary
// streams and has ffmpeg decode them: nothing may be reported.
func TestStreamDecodesAndStampsReadBack(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	for _, codec := range []av.Codec{av.H264, av.H265} {
		p := quickstart()
		p.Video.Codec = codec
		c, _ := generate(t, p, 4*time.Second, 3)
		var es []byte
		for i, f := range c.video {
			st, ok := stamp.ReadNALUs(codec, f.NALUs)
			if !ok || st.Device != 7 || st.Seq != uint64(i) || !st.CaptureTime().Equal(f.Capture) {
				t.Fatalf("%v frame %d: stamp %+v ok=%v", codec, i, st, ok)
			}
			es = h264.AppendAnnexB(es, f.NALUs...)
		}
		dir := t.TempDir()
		video := filepath.Join(dir, "v."+codec.String())
		if err := os.WriteFile(video, es, 0o644); err != nil {
			t.Fatal(err)
		}
		format := map[av.Codec]string{av.H264: "h264", av.H265: "hevc"}[codec]
		testpeer.FFmpegDecodeClean(t, video, "-f", format, "-r", "15")
		if n := testpeer.FFprobeCountFrames(t, video, "v"); n != len(c.video) {
			t.Fatalf("%v: ffprobe decoded %d frames, we made %d", codec, n, len(c.video))
		}
	}
	c, _ := generate(t, quickstart(), 2*time.Second, 3)
	sh, _ := NewShared(quickstart())
	cfg, err := aac.ParseConfig(sh.AudioConfig)
	if err != nil {
		t.Fatal(err)
	}
	var adts []byte
	for _, f := range c.audio {
		if adts, err = aac.AppendADTSFrame(adts, cfg, f.Payload); err != nil {
			t.Fatal(err)
		}
	}
	audio := filepath.Join(t.TempDir(), "a.aac")
	if err := os.WriteFile(audio, adts, 0o644); err != nil {
		t.Fatal(err)
	}
	testpeer.FFmpegDecodeClean(t, audio)
}

// One timer per source, re-armed for the next frame of either kind; none
// left after Stop; video and audio interleave in capture order.
func TestOneTimerPerSource(t *testing.T) {
	sh, err := NewShared(quickstart())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(clock.Epoch())
	var last time.Time
	s := New(sh, 1, clk, rng.New(1), SinkFunc(func(f *av.Frame, _ time.Duration) {
		if f.Capture.Before(last) {
			t.Fatalf("%v frame captured at %v after one at %v", f.Codec, f.Capture, last)
		}
		last = f.Capture
	}))
	s.Start(context.Background())
	for i := 0; i < 50; i++ {
		clk.Advance(7 * time.Millisecond)
		if n := clk.Pending(); n != 1 {
			t.Fatalf("%d timers armed for one source", n)
		}
	}
	s.Stop()
	if n := clk.Pending(); n != 0 {
		t.Fatalf("%d timers armed after Stop", n)
	}
	s.Start(context.Background())
	if n := clk.Pending(); n != 1 {
		t.Fatalf("%d timers armed after a restart", n)
	}
	s.Stop()
}

// On a wall clock whose callbacks may run concurrently (Batched hands a
// slow callback's shard to a new worker), sink calls of one source never
// overlap and sequences stay in order. Run with -race.
func TestSinkCallsNeverOverlapOnWallClock(t *testing.T) {
	sh, err := NewShared(quickstart())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewBatched(clock.BatchedConfig{Shards: 2, Handoff: time.Millisecond})
	defer clk.Close()
	var inSink atomic.Int32
	var mu sync.Mutex
	var vSeq, aSeq []uint64
	enough := make(chan struct{})
	s := New(sh, 1, clk, rng.New(1), SinkFunc(func(f *av.Frame, _ time.Duration) {
		if inSink.Add(1) != 1 {
			t.Error("sink calls overlap")
		}
		time.Sleep(2 * time.Millisecond) // slower than the handoff: ticks pile up
		mu.Lock()
		if f.Codec.IsVideo() {
			vSeq = append(vSeq, f.Seq)
			if len(vSeq) == 20 { // once: audio may follow before Stop
				close(enough)
			}
		} else {
			aSeq = append(aSeq, f.Seq)
		}
		mu.Unlock()
		inSink.Add(-1)
	}))
	s.Start(context.Background())
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Fatal("no frames")
	}
	s.Stop()
	mu.Lock()
	defer mu.Unlock()
	for _, seqs := range [][]uint64{vSeq, aSeq} {
		for i, q := range seqs {
			if q != uint64(i) {
				t.Fatalf("frame %d has sequence %d", i, q)
			}
		}
	}
}

// BenchmarkCameraSecond is one camera-second of the quickstart source: a
// sink the frames are given to, and one they are lent to (a device's).
func BenchmarkCameraSecond(b *testing.B) {
	for _, tc := range []struct {
		name string
		sink func(n *int) Sink
	}{
		{"giving", func(n *int) Sink { return SinkFunc(func(*av.Frame, time.Duration) { *n++ }) }},
		{"lending", func(n *int) Sink { return &countingLender{n: n} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sh, err := NewShared(quickstart())
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewFake(clock.Epoch())
			var n int
			s := New(sh, 1, clk, rng.New(1), tc.sink(&n))
			s.Start(context.Background())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clk.Advance(time.Second)
			}
			b.StopTimer()
			b.ReportMetric(float64(n)/float64(b.N), "frames/op")
		})
	}
}
