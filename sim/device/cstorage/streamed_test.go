package cstorage

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/mpegts"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	msource "github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
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
	frames   map[uint64][]*av.Frame // the TS slice's frames, from its content
	withBody int                    // uploads that carried Body (not streamed)
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
	if ts, ok := s.Content.(*mpegts.Slice); ok {
		r.frames[s.Seq] = ts.Frames()
	}
	n := len(r.attempts[s.Seq])
	r.attempts[s.Seq] = append(r.attempts[s.Seq], b)
	r.mu.Unlock()
	if n < r.failFirst {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 503, Code: cloudapi.CodeUnavailable, Msg: "injected"}
	}
	return r.Cloud.UploadSlice(ctx, s)
}

// TestCS12StreamedTSSlices: with the TS muxer a slice leaves the camera as
// content muxed on demand. Every attempt (first upload, retries, the
// backfill) streams the identical bytes, which are exactly what AppendFrame
// writes for the slices' frames in order (continuity counters running on
// across slices), their length is the slice's recorded total size, and the
// DumpFile export gives the same bytes; the cloud verifies and delivers
// every frame.
func TestCS12StreamedTSSlices(t *testing.T) {
	for _, failFirst := range []int{0, 1, 3} {
		t.Run(map[int]string{0: "clean", 1: "one-retry", 3: "backfill"}[failFirst], func(t *testing.T) {
			sh, ac := quickstart(t, av.H264)
			mx, err := MediaMuxers(av.H264, ac, sh.FrameInterval())
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFake(clock.Epoch())
			rec := &recorder{}
			cloud := fakecloud.New(clk, fakecloud.Config{Sink: rec, Parser: fakecloud.MediaParser(), Bandwidth: 4 * units.Mbps})
			cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
			st := &recordingStorage{Cloud: cloud, failFirst: failFirst, attempts: map[uint64][][]byte{}, frames: map[uint64][]*av.Frame{}}
			sdk := New(Deps{Clock: clk, Storage: st, Sink: rec, Muxers: mx})
			cfg := DefaultConfig(dev, 7)
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
			src := msource.New(sh, 7, clk, rng.New(1, "src"), msource.SinkFunc(func(f *av.Frame, _ time.Duration) {
				if err := sdk.PushStream(0, f); err != nil {
					t.Errorf("push %d: %v", f.Seq, err)
				}
			}))
			ctx, cancel := context.WithCancel(context.Background())
			src.Start(ctx)
			clk.Advance(35 * time.Second)
			src.Stop()
			cancel()
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
			m, err := mpegts.NewMuxer(mpegts.Config{Video: av.H264, AAC: ac})
			if err != nil {
				t.Fatal(err)
			}
			var dumped [][]byte
			for _, b := range dumps {
				dumped = append(dumped, b)
			}
			video := 0
			for seq := uint64(1); seq <= uint64(len(st.attempts)); seq++ {
				for _, f := range st.frames[seq] {
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
				var want []byte
				for _, f := range st.frames[seq] {
					if want, err = m.AppendFrame(want, f); err != nil {
						t.Fatal(err)
					}
				}
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
