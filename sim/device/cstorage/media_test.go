package cstorage

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	msource "github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// quickstart is the 640x360 15 fps GOP 30 512 kbps H.264 + 16 kHz AAC profile.
func quickstart(t testing.TB, codec av.Codec) (*msource.Shared, *aac.Config) {
	t.Helper()
	sh, err := msource.NewShared(msource.Profile{
		Video: msource.VideoConfig{Codec: codec, Width: 640, Height: 360, FPS: 15, GOP: 30, Bitrate: 512 * units.Kbps, IPRatio: 10, Variance: 0.2},
		Audio: msource.AudioConfig{Codec: av.AAC, SampleRate: 16000, Channels: 1, Bitrate: 32 * units.Kbps},
	})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := aac.ParseConfig(sh.AudioConfig)
	if err != nil {
		t.Fatal(err)
	}
	return sh, &ac
}

// TestCS11MediaSlices records real TS and fMP4 slices (media/mpegts,
// media/fmp4) from the stamped synthetic source, has the fakecloud verify
// them with the media verifiers (every frame delivered by its stamp), and
// hands a dumped slice to ffprobe.
func TestCS11MediaSlices(t *testing.T) {
	for _, c := range []struct {
		format cloudapi.Format
		codec  av.Codec
		ext    string
	}{
		{cloudapi.FormatTS, av.H264, "ts"},
		{cloudapi.FormatFMP4, av.H264, "mp4"},
		{cloudapi.FormatTS, av.H265, "ts"},
		{cloudapi.FormatFMP4, av.H265, "mp4"},
	} {
		t.Run(string(c.format)+"-"+c.codec.String(), func(t *testing.T) {
			sh, ac := quickstart(t, c.codec)
			mx, err := MediaMuxers(c.codec, ac, sh.FrameInterval())
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFake(clock.Epoch())
			rec := &recorder{}
			cloud := fakecloud.New(clk, fakecloud.Config{Sink: rec, Parser: fakecloud.MediaParser(), Bandwidth: 4 * units.Mbps})
			cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
			sdk := New(Deps{Clock: clk, Storage: cloud, Sink: rec, Muxers: mx})
			cfg := DefaultConfig(dev, 7)
			cfg.Channels[0].Format = c.format
			cfg.Channels[0].MaxGopSize = 2 * units.MiB
			cfg.Channels[0].Watermarks.Enabled = false
			var dump, first []byte
			cb := rec.callbacks()
			cb.DumpFile = func(_ int, d DumpChunk) {
				switch d.State {
				case DumpStart:
					dump = dump[:0]
				case DumpRunning:
					dump = append(dump, d.Data...)
				case DumpEnd:
					if first == nil {
						first = append([]byte(nil), dump...)
					}
				}
			}
			if err := sdk.Init(cfg, cb); err != nil {
				t.Fatal(err)
			}
			defer sdk.Close()
			clk.Advance(100 * time.Millisecond)
			pushQuickstart(t, sdk, sh, clk, 35*time.Second)
			clk.Advance(10 * time.Second)

			if n := rec.count(observe.SliceUploaded); n != 3 {
				t.Fatalf("uploaded %d slices, want 3; failed %+v", n, rec.of(observe.SliceFailed))
			}
			if n := rec.count(observe.FrameRejected); n != 0 {
				t.Fatalf("%d frames rejected: %v", n, rec.reasons(observe.FrameRejected))
			}
			var delivered [2]int
			for _, o := range rec.of(observe.FrameDelivered) {
				delivered[o.Stream]++
				if o.Value <= 0 || o.Value > 15*time.Second {
					t.Fatalf("latency %v of %+v", o.Value, o)
				}
			}
			// 3 slices of 10 s: 450 video frames, 10 s of 16 kHz AAC each
			if delivered[observe.Video] != 450 || delivered[observe.Audio] < 460 || delivered[observe.Audio] > 475 {
				t.Fatalf("delivered video %d audio %d", delivered[observe.Video], delivered[observe.Audio])
			}
			checkAccounting(t, rec.obs, sdk.InFlight())

			testpeer.Require(t, "ffprobe")
			file := filepath.Join(t.TempDir(), "slice."+c.ext)
			if err := os.WriteFile(file, first, 0o644); err != nil {
				t.Fatal(err)
			}
			if len(first) == 0 {
				t.Fatal("no slice dumped")
			}
			if v := ffprobeFrames(t, file, "v"); v != 150 {
				t.Fatalf("ffprobe counts %d video frames in the first slice, want 150", v)
			}
			if a := ffprobeFrames(t, file, "a"); a < 154 || a > 158 {
				t.Fatalf("ffprobe counts %d audio frames, want ~156", a)
			}
			testpeer.Require(t, "ffmpeg")
			out, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-i", file, "-c", "copy", "-f", "mpegts", "-y", os.DevNull)
			if err != nil || len(out) != 0 {
				t.Fatalf("ffmpeg remux of our slice: %v\n%s", err, out)
			}
		})
	}
}

// ffprobeFrames counts the decoded frames of the first stream of a type.
// (testpeer.FFprobeCountFrames fails on TS, where ffprobe prints the
// stream once per program as well: the first line is the count.)
func ffprobeFrames(t *testing.T, file, streamType string) int {
	t.Helper()
	out, err := testpeer.Run(context.Background(), time.Minute, "ffprobe", "-v", "error", "-count_frames",
		"-select_streams", streamType+":0", "-show_entries", "stream=nb_read_frames",
		"-of", "default=nokey=1:noprint_wrappers=1", file)
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", file, err, out)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	n, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("ffprobe %s: %q: %v", file, out, err)
	}
	return n
}

// pushQuickstart pushes d of device 7's frames of sh into channel 0 of sdk,
// advancing clk.
func pushQuickstart(t testing.TB, sdk *SDK, sh *msource.Shared, clk *clock.Fake, d time.Duration) {
	t.Helper()
	src := msource.New(sh, 7, clk, rng.New(1, "src"), msource.SinkFunc(func(f *av.Frame, _ time.Duration) {
		if err := sdk.PushStream(0, f); err != nil {
			t.Errorf("push %d: %v", f.Seq, err)
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src.Start(ctx)
	clk.Advance(d)
	src.Stop()
}
