package cstorage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
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
// keeps the bytes of each attempt per slice, and whether it carried the
// bytes (Body) or streamed them (Content); the first failFirst attempts
// of every slice fail (503) after their body was read.
type recordingStorage struct {
	*fakecloud.Cloud // Storage and VirtualStorage: calls on the fake clock
	failFirst        int

	mu       sync.Mutex
	attempts map[uint64][][]byte
	withBody map[uint64]int              // attempts per slice that carried Body (not streamed)
	content  map[uint64]cloudapi.Content // the content of each slice's last streamed attempt
}

func (r *recordingStorage) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	rd := s.OpenBody()
	b, err := io.ReadAll(rd)
	if c, ok := rd.(io.Closer); ok {
		c.Close()
	}
	if err != nil {
		return cloudapi.SliceReceipt{}, err
	}
	r.mu.Lock()
	if s.Content != nil {
		r.content[s.Seq] = s.Content
	}
	if s.Body != nil || s.Content == nil {
		r.withBody[s.Seq]++
	}
	n := len(r.attempts[s.Seq])
	r.attempts[s.Seq] = append(r.attempts[s.Seq], b)
	r.mu.Unlock()
	if n < r.failFirst {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 503, Code: cloudapi.CodeUnavailable, Msg: "injected"}
	}
	s.Body, s.Content = b, nil // what was read: the cloud does not read the content again
	return r.Cloud.UploadSlice(ctx, s)
}

// spyCutter wraps a Cutter of media/: it keeps a copy of the frames of
// every cut (slice seq n is cuts[n-1]; the SDK may recycle the frames'
// blocks after the slice's fate) and counts how often each content is
// read, i.e. how often the slice was muxed.
type spyCutter struct {
	Cutter
	mu   sync.Mutex
	cuts []*countedContent
}

type countedContent struct {
	cloudapi.Content
	opens  atomic.Int64
	frames [2][]*av.Frame // TS: all; fMP4: video, audio — deep copies
}

func (c *countedContent) Open() io.Reader {
	c.opens.Add(1)
	return c.Content.Open()
}

func (s *spyCutter) CutSlice(frames av.List) (cloudapi.Content, error) {
	c, err := s.Cutter.CutSlice(frames)
	if err != nil {
		return nil, err
	}
	cc := &countedContent{Content: c}
	switch in := c.(type) {
	case *mpegts.Slice:
		cc.frames = [2][]*av.Frame{deepFrames(in.Frames())}
	case *fmp4.Slice:
		v, a := in.Frames()
		cc.frames = [2][]*av.Frame{deepFrames(v), deepFrames(a)}
	}
	s.mu.Lock()
	s.cuts = append(s.cuts, cc)
	s.mu.Unlock()
	return cc, nil
}

// frames are the frames of slice seq (TS: all; fMP4: video, audio) and
// the times its content was read.
func (s *spyCutter) frames(seq uint64) ([2][]*av.Frame, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq == 0 || seq > uint64(len(s.cuts)) {
		return [2][]*av.Frame{}, 0
	}
	c := s.cuts[seq-1]
	return c.frames, c.opens.Load()
}

// deepFrames copies frames with their bytes.
func deepFrames(fs []*av.Frame) []*av.Frame {
	out := make([]*av.Frame, len(fs))
	for i, f := range fs {
		g := *f
		g.NALUs = make([][]byte, len(f.NALUs))
		for k, u := range f.NALUs {
			g.NALUs[k] = bytes.Clone(u)
		}
		g.Payload = bytes.Clone(f.Payload)
		out[i] = &g
	}
	return out
}

// TestCS12StreamedSlices: with the TS and fMP4 muxers a slice leaves the
// camera as content muxed on demand. Every attempt (first upload, retries,
// the backfill) sends the identical bytes, which are exactly what
// AppendFrame (TS) or AppendSlice (fMP4) write for the slices' frames in
// order (continuity counters and fragment numbers running on across
// slices), and their length is the slice's recorded total size; the cloud
// verifies and delivers every frame. Without a DumpFile callback every
// attempt streams (no whole body is held) and each reads the content
// once. With one (CS16), the slice is muxed once at its cut: the dump
// gives exactly the bytes of that one mux and the first upload (and its
// retries while it holds them) sends those bytes; only a later backfill
// reads the content again — a slice is muxed 1 + (streamed attempts)
// times, never once for the dump and again for the upload. All of it holds
// as well with a fleet's PackedPool, whose slices' frames go back to the
// pool after their fate once every reader is closed: a reader opened
// after that fails instead of reading another slice's blocks.
func TestCS12StreamedSlices(t *testing.T) {
	for _, pooled := range []bool{false, true} {
		t.Run(map[bool]string{false: "unpooled", true: "pooled"}[pooled], func(t *testing.T) { testStreamedSlices(t, pooled) })
	}
}

func testStreamedSlices(t *testing.T, pooled bool) {
	for _, tc := range []struct {
		format    cloudapi.Format
		codec     av.Codec
		failFirst int
		dump      bool
	}{
		{cloudapi.FormatTS, av.H264, 0, false},
		{cloudapi.FormatTS, av.H264, 3, false},
		{cloudapi.FormatFMP4, av.H264, 1, false},
		{cloudapi.FormatTS, av.H264, 0, true},
		{cloudapi.FormatTS, av.H264, 1, true},
		{cloudapi.FormatTS, av.H265, 3, true},
		{cloudapi.FormatFMP4, av.H264, 0, true},
		{cloudapi.FormatFMP4, av.H265, 1, true},
		{cloudapi.FormatFMP4, av.H264, 3, true},
	} {
		failFirst := tc.failFirst
		name := map[int]string{0: "clean", 1: "one-retry", 3: "backfill"}[failFirst]
		if tc.dump {
			name += "-dump"
		}
		t.Run(fmt.Sprintf("%s-%v-%s", tc.format, tc.codec, name), func(t *testing.T) {
			sh, ac := quickstart(t, tc.codec)
			mx, err := MediaMuxers(tc.codec, ac, sh.FrameInterval())
			if err != nil {
				t.Fatal(err)
			}
			spy := &spyCutter{Cutter: mx[tc.format].(Cutter)}
			mx[tc.format] = spy
			clk := clock.NewFake(clock.Epoch())
			rec := &recorder{}
			cloud := fakecloud.New(clk, fakecloud.Config{Sink: rec, Parser: fakecloud.MediaParser(), Bandwidth: 4 * units.Mbps})
			cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
			st := &recordingStorage{Cloud: cloud, failFirst: failFirst, attempts: map[uint64][][]byte{}, withBody: map[uint64]int{},
				content: map[uint64]cloudapi.Content{}}
			var packs *av.PackedPool
			if pooled {
				packs = av.NewPackedPool()
			}
			sdk := New(Deps{Clock: clk, Storage: st, Sink: rec, Muxers: mx, Packs: packs})
			cfg := DefaultConfig(dev, 7)
			cfg.Channels[0].Format = tc.format
			cfg.Channels[0].MaxGopSize = 2 * units.MiB
			cfg.Channels[0].Watermarks.Enabled = false
			cfg.DumpChunk = 10000 // not a multiple of the packet size
			dumps := map[string][]byte{}
			var dump []byte
			var totals []SliceRecord
			cb := rec.callbacks()
			cb.DumpFile = nil
			if tc.dump {
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
			if len(st.attempts) < 3 {
				t.Fatalf("%d slices uploaded, want 3 or more", len(st.attempts))
			}
			if tc.dump && len(dumps) != len(st.attempts) {
				t.Fatalf("%d slices dumped, %d uploaded", len(dumps), len(st.attempts))
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
				frames, opens := spy.frames(seq)
				for _, f := range frames[0] {
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
						t.Fatalf("slice %d: attempt %d sent other bytes than the first", seq, i+2)
					}
				}
				want := mux(frames)
				if !bytes.Equal(atts[0], want) {
					t.Fatalf("slice %d: %d bytes sent differ from AppendFrame's %d", seq, len(atts[0]), len(want))
				}
				if int64(len(want)) != cuts[seq] || recorded[seq] != len(want) {
					t.Fatalf("slice %d: %d bytes, cut size %d, recorded total %d", seq, len(want), cuts[seq], recorded[seq])
				}
				bodies := st.withBody[seq]
				streamed := int64(len(atts) - bodies)
				if !tc.dump {
					if bodies != 0 || opens != streamed {
						t.Fatalf("slice %d without dump: %d attempts carried a whole body; content read %d times for %d streamed attempts", seq, bodies, opens, streamed)
					}
					continue
				}
				if bodies == 0 || opens != 1+streamed {
					t.Fatalf("slice %d with dump: %d attempts sent the dumped bytes, %d streamed; content read (muxed) %d times, want %d: once at the cut for the dump and the first upload, once per streamed attempt", seq, bodies, streamed, opens, 1+streamed)
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
			if !pooled {
				return
			}
			// every slice had its fate and its readers were closed: its
			// frames are back in the pool, and its content cannot be read
			if len(st.content) == 0 && (!tc.dump || failFirst == 3) { // with a dump only a backfill streams
				t.Fatal("no slice was streamed")
			}
			for seq, c := range st.content {
				if _, err := io.ReadAll(c.Open()); !errors.Is(err, errSliceReleased) {
					t.Fatalf("slice %d: content read after its fate: error %v, want %v", seq, err, errSliceReleased)
				}
			}
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
