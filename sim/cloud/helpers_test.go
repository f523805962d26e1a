package cloud

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/fmp4"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/mpegts"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// recorder is a concurrency-safe Sink that keeps everything.
type recorder struct {
	mu  sync.Mutex
	obs []observe.Observation
}

func (r *recorder) Observe(o observe.Observation) {
	r.mu.Lock()
	r.obs = append(r.obs, o)
	r.mu.Unlock()
}

func (r *recorder) all() []observe.Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observe.Observation(nil), r.obs...)
}

// count returns how many observations of kind k (and, if not "", reason).
func (r *recorder) count(k observe.Kind, reason string) int {
	n := 0
	for _, o := range r.all() {
		if o.Kind == k && (reason == "" || o.Reason == reason) {
			n++
		}
	}
	return n
}

// testMedia makes synthetic frames (media/h264 synthesis, silent AAC).
type testMedia struct {
	synth *h264.Synth
	aac   aac.Config
	audio []byte
	fps   int
	gop   int
}

func newTestMedia(t testing.TB) *testMedia {
	t.Helper()
	s, err := h264.NewSynth(h264.SynthConfig{Width: 640, Height: 360, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	a, err := aac.SilentFrame(1, 64)
	if err != nil {
		t.Fatal(err)
	}
	return &testMedia{synth: s, aac: aac.Config{Object: 2, SampleRate: 16000, Channels: 1, FrameLength: 1024}, audio: a, fps: 15, gop: 30}
}

// video returns video frame seq (IDR every gop), with sei (a stamp) if given.
func (m *testMedia) video(seq uint64, sei []byte, capture time.Time) *av.Frame {
	pic := h264.Picture{GOP: int64(seq) / int64(m.gop), Index: int(seq % uint64(m.gop))}
	size := 2000
	if pic.Index == 0 {
		size = 20000
	}
	nalus, _ := m.synth.AppendAccessUnit(nil, pic, size, sei)
	pts := time.Duration(seq) * time.Second / time.Duration(m.fps)
	return &av.Frame{Codec: av.H264, Seq: seq, PTS: pts, DTS: pts, Key: pic.Index == 0, NALUs: nalus, Capture: capture}
}

func (m *testMedia) audioFrame(seq uint64, capture time.Time) *av.Frame {
	pts := time.Duration(seq) * 1024 * time.Second / 16000
	return &av.Frame{Codec: av.AAC, Seq: seq, PTS: pts, DTS: pts, Key: true, Payload: m.audio, Capture: capture}
}

// ts makes a TS slice of video frames first..first+n-1 (and audio frames
// covering the same time) through media/mpegts.
func (m *testMedia) ts(t testing.TB, first uint64, n int, withAudio bool, stamp func(seq uint64) []byte) (body []byte, audioFirst uint64, audioN int) {
	t.Helper()
	cfg := mpegts.Config{Video: av.H264}
	if withAudio {
		c := m.aac
		cfg.AAC = &c
	}
	mx, err := mpegts.NewMuxer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Duration(first) * time.Second / time.Duration(m.fps)
	end := time.Duration(first+uint64(n)) * time.Second / time.Duration(m.fps)
	aDur := 1024 * time.Second / 16000
	aSeq := uint64((start + aDur - 1) / aDur)
	audioFirst = aSeq
	if first%uint64(m.gop) != 0 {
		body = mx.AppendTables(body) // a slice that does not start at an IDR
	}
	for i := 0; i < n; i++ {
		seq := first + uint64(i)
		var sei []byte
		if stamp != nil {
			sei = stamp(seq)
		}
		f := m.video(seq, sei, clock.Epoch().Add(time.Duration(seq)*time.Second/time.Duration(m.fps)))
		if body, err = mx.AppendVideo(body, f); err != nil {
			t.Fatal(err)
		}
		for withAudio && time.Duration(aSeq)*aDur < f.PTS+time.Second/time.Duration(m.fps) && time.Duration(aSeq)*aDur < end {
			if body, err = mx.AppendAudio(body, m.audioFrame(aSeq, clock.Epoch().Add(time.Duration(aSeq)*aDur))); err != nil {
				t.Fatal(err)
			}
			aSeq++
			audioN++
		}
	}
	return body, audioFirst, audioN
}

// startCloud starts a cloud for a test and closes it at cleanup.
func startCloud(t testing.TB, cfg Config, clk clock.Clock, sink observe.Sink) *Cloud {
	t.Helper()
	c := New(cfg, clk, sink)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// stampFor returns the SEI stamp of device dev's video frame seq.
func stampFor(dev uint64) func(seq uint64) []byte {
	return func(seq uint64) []byte {
		capture := clock.Epoch().Add(time.Duration(seq) * time.Second / 15)
		return stamp.Append(nil, av.H264, stamp.New(dev, seq, capture))
	}
}

// fmp4Slice makes an fMP4 slice of stamped video frames first..first+n-1
// and the audio frames of the same time.
func (m *testMedia) fmp4(t testing.TB, dev uint64, first uint64, n int) (body []byte, audioFirst uint64, audioN int) {
	t.Helper()
	var video, audio []av.Frame
	aDur := 1024 * time.Second / 16000
	start := time.Duration(first) * time.Second / time.Duration(m.fps)
	end := time.Duration(first+uint64(n)) * time.Second / time.Duration(m.fps)
	st := stampFor(dev)
	for i := 0; i < n; i++ {
		seq := first + uint64(i)
		video = append(video, *m.video(seq, st(seq), clock.Epoch().Add(time.Duration(seq)*time.Second/15)))
	}
	audioFirst = uint64((start + aDur - 1) / aDur)
	for a := audioFirst; time.Duration(a)*aDur < end; a++ {
		audio = append(audio, *m.audioFrame(a, clock.Epoch().Add(time.Duration(a)*aDur)))
	}
	vc, err := fmp4.VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		t.Fatal(err)
	}
	c := m.aac
	mx, err := fmp4.NewMuxer(fmp4.Config{Video: vc, AAC: &c})
	if err != nil {
		t.Fatal(err)
	}
	body, err = mx.AppendSlice(nil, video, audio)
	if err != nil {
		t.Fatal(err)
	}
	return body, audioFirst, len(audio)
}
