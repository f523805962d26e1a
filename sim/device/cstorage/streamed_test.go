package cstorage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/fmp4"
	"github.com/fleetsim/fleetsim/media/mpegts"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// recordingStorage reads every slice upload's body as a server would and
// keeps the bytes of each attempt per slice; the first failFirst attempts
// of every slice fail (503) after their body was read.
type recordingStorage struct {
	*fakecloud.Cloud // Storage and VirtualStorage: calls on the fake clock
	failFirst        int

	mu       sync.Mutex
	attempts map[uint64][][]byte
	frames   map[uint64][2][]*av.Frame // the slice's frames (TS: all; fMP4: video, audio), from its content
	withBody int                       // uploads that carried Body (not streamed)
}

func (r *recordingStorage) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	b, err := io.ReadAll(s.OpenBody())
	if err != nil {
		return cloudapi.SliceReceipt{}, err
	}
	r.mu.Lock()
	if s.Body != nil || s.Content == nil {
		r.withBody++
	}
	switch c := s.Content.(type) {
	case *mpegts.Slice:
		r.frames[s.Seq] = [2][]*av.Frame{c.Frames()}
	case *fmp4.Slice:
		v, a := c.Frames()
		r.frames[s.Seq] = [2][]*av.Frame{v, a}
	}
	n := len(r.attempts[s.Seq])
	r.attempts[s.Seq] = append(r.attempts[s.Seq], b)
	r.mu.Unlock()
	if n < r.failFirst {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 503, Code: cloudapi.CodeUnavailable, Msg: "injected"}
	}
	return r.Cloud.UploadSlice(ctx, s)
}

// TestCS12StreamedSlices: with the TS and fMP4 muxers a slice leaves the
// camera as content muxed on demand. Every attempt (first upload, retries,
// the backfill) streams the identical bytes, which are exactly what
// AppendFrame (TS) or AppendSlice (fMP4) write for the slices' frames in
// order (continuity counters and fragment numbers running on across
// slices), their length is the slice's recorded total size, and the
// DumpFile export gives the same bytes; the cloud verifies and delivers
// every frame.
func TestCS12StreamedSlices(t *testing.T) {
	for _, tc := range []struct {
		format    cloudapi.Format
		codec     av.Codec
		failFirst int
	}{
		{cloudapi.FormatTS, av.H264, 0},
		{cloudapi.FormatTS, av.H264, 1},
		{cloudapi.FormatTS, av.H265, 3},
		{cloudapi.FormatFMP4, av.H264, 0},
		{cloudapi.FormatFMP4, av.H265, 1},
		{cloudapi.FormatFMP4, av.H264, 3},
	} {
		failFirst := tc.failFirst
		name := map[int]string{0: "clean", 1: "one-retry", 3: "backfill"}[failFirst]
		t.Run(fmt.Sprintf("%s-%v-%s", tc.format, tc.codec, name), func(t *testing.T) {
			sh, ac := quickstart(t, tc.codec)
			mx, err := MediaMuxers(tc.codec, ac, sh.FrameInterval())
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFake(clock.Epoch())
			rec := &recorder{}
			cloud := fakecloud.New(clk, fakecloud.Config{Sink: rec, Parser: fakecloud.MediaParser(), Bandwidth: 4 * units.Mbps})
			cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
			st := &recordingStorage{Cloud: cloud, failFirst: failFirst, attempts: map[uint64][][]byte{}, frames: map[uint64][2][]*av.Frame{}}
			sdk := New(Deps{Clock: clk, Storage: st, Sink: rec, Muxers: mx})
			cfg := DefaultConfig(dev, 7)
			cfg.Channels[0].Format = tc.format
			cfg.Channels[0].MaxGopSize = 2 * units.MiB
			cfg.Channels[0].Watermarks.Enabled = false
			cfg.DumpChunk = 10000 // not a multiple of the packet size
			dumps := map[string][]byte{}
			var dump []byte
			var totals []SliceRecord
			cb := rec.callbacks()
			cb.DumpFile = func(_ int, d DumpChunk) {
				switch d.State {
				case DumpStart:
					dump = nil
				case DumpRunning:
					dump = append(dump, d.Data...)
				case DumpEnd:
					dumps[d.Name] = dump
				}
			}
			notify := cb.Notify
			cb.Notify = func(ch int, n Notice) {
				if n.Kind == NoticeUploadState {
					totals = append(totals, n.Slices...)
				}
				if notify != nil {
					notify(ch, n)
				}
			}
			if err := sdk.Init(cfg, cb); err != nil {
				t.Fatal(err)
			}
			defer sdk.Close()
			clk.Advance(100 * time.Millisecond)
			pushQuickstart(t, sdk, sh, clk, 35*time.Second)
			clk.Advance(3 * time.Minute)

			st.mu.Lock()
			defer st.mu.Unlock()
			if st.withBody != 0 {
				t.Fatalf("%d uploads carried a whole body", st.withBody)
			}
			if len(st.attempts) < 3 {
				t.Fatalf("%d slices uploaded, want 3 or more", len(st.attempts))
			}
			cuts := map[uint64]int64{}
			for _, o := range rec.of(observe.SliceCut) {
				cuts[o.Seq] = o.Size
			}
			recorded := map[uint64]int{}
			for _, r := range totals {
				if r.State == UploadOK {
					recorded[r.Seq] = r.TotalSize
				}
			}
			mux := expectedMuxer(t, tc.format, tc.codec, ac, sh.FrameInterval())
			var dumped [][]byte
			for _, b := range dumps {
				dumped = append(dumped, b)
			}
			video := 0
			for seq := uint64(1); seq <= uint64(len(st.attempts)); seq++ {
				for _, f := range st.frames[seq][0] {
					if f.Codec.IsVideo() {
						video++
					}
				}
				atts := st.attempts[seq]
				if want := failFirst + 1; len(atts) != want {
					t.Fatalf("slice %d: %d attempts, want %d", seq, len(atts), want)
				}
				for i, b := range atts[1:] {
					if !bytes.Equal(b, atts[0]) {
						t.Fatalf("slice %d: attempt %d streamed other bytes than the first", seq, i+2)
					}
				}
				want := mux(st.frames[seq])
				if !bytes.Equal(atts[0], want) {
					t.Fatalf("slice %d: %d bytes streamed differ from AppendFrame's %d", seq, len(atts[0]), len(want))
				}
				if int64(len(want)) != cuts[seq] || recorded[seq] != len(want) {
					t.Fatalf("slice %d: %d bytes, cut size %d, recorded total %d", seq, len(want), cuts[seq], recorded[seq])
				}
				found := false
				for _, d := range dumped {
					found = found || bytes.Equal(d, want)
				}
				if !found {
					t.Fatalf("slice %d: no dump with its bytes", seq)
				}
			}
			var delivered [2]int
			for _, o := range rec.of(observe.FrameDelivered) {
				delivered[o.Stream]++
			}
			if delivered[observe.Video] != video || video < 450 || rec.count(observe.FrameRejected) != 0 {
				t.Fatalf("delivered %d video frames, %d rejected", delivered[observe.Video], rec.count(observe.FrameRejected))
			}
			checkAccounting(t, rec.obs, sdk.InFlight())
		})
	}
}

// expectedMuxer returns what the SDK's slices must equal: the frames
// appended by a muxer of media/ that sees every slice in turn.
func expectedMuxer(t *testing.T, format cloudapi.Format, codec av.Codec, ac *aac.Config, frameDuration time.Duration) func([2][]*av.Frame) []byte {
	if format == cloudapi.FormatTS {
		m, err := mpegts.NewMuxer(mpegts.Config{Video: codec, AAC: ac})
		if err != nil {
			t.Fatal(err)
		}
		return func(fr [2][]*av.Frame) []byte {
			var out []byte
			for _, f := range fr[0] {
				var err error
				if out, err = m.AppendFrame(out, f); err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
	}
	var m *fmp4.Muxer
	return func(fr [2][]*av.Frame) []byte {
		values := func(ps []*av.Frame) []av.Frame {
			var vs []av.Frame
			for _, p := range ps {
				vs = append(vs, *p)
			}
			return vs
		}
		video, audio := values(fr[0]), values(fr[1])
		if m == nil {
			vc, err := fmp4.VideoConfigFor(&video[0], frameDuration)
			if err != nil {
				t.Fatal(err)
			}
			if m, err = fmp4.NewMuxer(fmp4.Config{Video: vc, AAC: ac}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := m.AppendSlice(nil, video, audio)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}
