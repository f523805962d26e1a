package cstorage

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Shared immutable payloads of the synthetic 512 kbps 15 fps GOP 30 H.264
// + 32 kbps AAC profile: I ≈ 10 × P.
var (
	nalSPS   = append([]byte{0x67, 0x42, 0xc0, 0x1e}, make([]byte, 8)...)
	nalPPS   = []byte{0x68, 0xce, 0x3c, 0x80}
	nalIDR   = append([]byte{0x65, 0x88}, make([]byte, 32000)...)
	nalP     = append([]byte{0x41, 0x9a}, make([]byte, 3200)...)
	aacFrame = make([]byte, 256)
	// H.265
	hVPS = []byte{0x40, 0x01, 0x0c}
	hSPS = []byte{0x42, 0x01, 0x01}
	hPPS = []byte{0x44, 0x01, 0xc1}
	hIDR = append([]byte{0x26, 0x01}, make([]byte, 1000)...) // IDR_W_RADL (19)
)

// source synthesises a camera's frames in capture order.
type source struct {
	fps   int
	gop   int
	audio bool
	vseq  uint64
	aseq  uint64
	start time.Time
	nextV time.Duration
	nextA time.Duration
	// sps and pps, when set, replace the placeholder parameter sets (the
	// fMP4 muxer parses the SPS)
	sps, pps []byte
}

func newSource(start time.Time, gop int) *source {
	return &source{fps: 15, gop: gop, audio: true, start: start}
}

const aacDur = 64 * time.Millisecond // 1024 samples at 16 kHz

// next returns the next frame due at or before until, or nil.
func (s *source) next(until time.Duration) *av.Frame {
	if s.audio && s.nextA < s.nextV {
		if s.nextA > until {
			return nil
		}
		f := &av.Frame{Codec: av.AAC, Seq: s.aseq, PTS: s.nextA, DTS: s.nextA, Key: true, Payload: aacFrame, Capture: s.start.Add(s.nextA)}
		s.aseq++
		s.nextA += aacDur
		return f
	}
	if s.nextV > until {
		return nil
	}
	f := &av.Frame{Codec: av.H264, Seq: s.vseq, PTS: s.nextV, DTS: s.nextV, Capture: s.start.Add(s.nextV)}
	if s.vseq%uint64(s.gop) == 0 {
		f.Key = true
		f.NALUs = [][]byte{nalSPS, nalPPS, nalIDR}
		if s.sps != nil {
			f.NALUs = [][]byte{s.sps, s.pps, nalIDR}
		}
	} else {
		f.NALUs = [][]byte{nalP}
	}
	s.vseq++
	s.nextV = time.Duration(s.vseq) * time.Second / time.Duration(s.fps)
	return f
}

// recorder is the observation sink and the callback log.
type recorder struct {
	mu          sync.Mutex
	obs         []observe.Observation
	log         []string
	notes       []Notice
	dumps       map[string]int // dump name → bytes
	dumpN       []DumpChunk
	sdk         *SDK
	onNote      func(ch int, n Notice)
	onPushStart func(ch int) // called inside the PushStart callback
	pic         []byte
}

func (r *recorder) Observe(o observe.Observation) {
	r.mu.Lock()
	r.obs = append(r.obs, o)
	r.mu.Unlock()
}

func (r *recorder) add(format string, a ...any) {
	r.mu.Lock()
	r.log = append(r.log, fmt.Sprintf(format, a...))
	r.mu.Unlock()
}

func (r *recorder) callbacks() Callbacks {
	return Callbacks{
		PushStart: func(ch int) {
			r.add("push_start %d", ch)
			if r.onPushStart != nil {
				r.onPushStart(ch)
			}
		},
		PushStop: func(ch int) { r.add("push_stop %d", ch) },
		CapturePicture: func(ch, id int) []byte {
			r.add("capture %d %d", ch, id)
			return r.pic
		},
		PictureResult: func(ch int, pic []byte, err error) { r.add("picture_result %d ok=%v", ch, err == nil) },
		EventReportResult: func(ch int, res EventResult) {
			r.add("event_result %d %d ok=%v", ch, res.EventID, res.OK)
		},
		Notify: func(ch int, n Notice) {
			r.mu.Lock()
			r.notes = append(r.notes, n)
			r.mu.Unlock()
			r.add("notify %d %s", ch, n.Kind)
			if r.onNote != nil {
				r.onNote(ch, n)
			}
		},
		DumpFile: func(ch int, d DumpChunk) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.dumps == nil {
				r.dumps = map[string]int{}
			}
			switch d.State {
			case DumpRunning:
				r.dumps["running"] += len(d.Data)
			case DumpEnd:
				r.dumps[d.Name] = r.dumps["running"]
				r.dumps["running"] = 0
			}
			d.Data = nil
			r.dumpN = append(r.dumpN, d)
		},
	}
}

// mark logs an API call before it is made (its callbacks may come during
// the call); unmark withdraws it when the call failed.
func (r *recorder) mark(format string, a ...any) int {
	r.add(format, a...)
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log) - 1
}

func (r *recorder) unmark(i int) {
	r.mu.Lock()
	r.log[i] = "withdrawn " + r.log[i]
	r.mu.Unlock()
}

// logged returns the callback log entries with the given prefixes.
func (r *recorder) logged(prefixes ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.log {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

func (r *recorder) count(k observe.Kind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, o := range r.obs {
		if o.Kind == k {
			n++
		}
	}
	return n
}

func (r *recorder) of(k observe.Kind) []observe.Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []observe.Observation
	for _, o := range r.obs {
		if o.Kind == k {
			out = append(out, o)
		}
	}
	return out
}

func (r *recorder) reasons(k observe.Kind) map[string]int {
	m := map[string]int{}
	for _, o := range r.of(k) {
		m[o.Reason]++
	}
	return m
}

// parseFrames is the fakecloud Parser for the frame-list container.
func parseFrames(dst []fakecloud.Frame, _ cloudapi.Format, body []byte) ([]fakecloud.Frame, error) {
	fis, err := ParseFrameList(nil, body)
	if err != nil {
		return dst, err
	}
	for _, fi := range fis {
		st := observe.Video
		if fi.Audio {
			st = observe.Audio
		}
		dst = append(dst, fakecloud.Frame{Stream: st, Seq: fi.Seq, Key: fi.Key, Capture: fi.Capture})
	}
	return dst, nil
}

// rig is one SDK on a fake clock against a fakecloud.
type rig struct {
	t        testing.TB
	clk      *clock.Fake
	cloud    *fakecloud.Cloud
	rec      *recorder
	sdk      *SDK
	src      *source
	cfg      Config
	pushErrs map[Code]int
}

const dev = "cam-0007"

type rigOpt func(*rig, *fakecloud.Config)

func newRig(t testing.TB, plan cloudapi.PlanKind, mod func(*Config), opts ...rigOpt) *rig {
	t.Helper()
	r := &rig{t: t, clk: clock.NewFake(clock.Epoch()), rec: &recorder{}, pushErrs: map[Code]int{}}
	fc := fakecloud.Config{Sink: r.rec, Parser: parseFrames, Bandwidth: 4 * units.Mbps, Seed: 1}
	for _, o := range opts {
		o(r, &fc)
	}
	r.cloud = fakecloud.New(r.clk, fc)
	if plan != "" {
		r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: plan, Valid: plan != cloudapi.PlanNone})
	}
	r.cfg = DefaultConfig(dev, 7)
	r.cfg.PlanPoll = 5 * time.Second
	if mod != nil {
		mod(&r.cfg)
	}
	var st cloudapi.Storage = r.cloud
	r.sdk = New(Deps{Clock: r.clk, Rand: rng.New(1, dev, "cs"), Storage: st, Sink: r.rec})
	r.rec.sdk = r.sdk
	if err := r.sdk.Init(r.cfg, r.rec.callbacks()); err != nil {
		t.Fatalf("Init: %v", err)
	}
	r.clk.Advance(100 * time.Millisecond) // the first plan poll is answered
	r.src = newSource(r.clk.Now(), 30)
	return r
}

// run pushes the source's frames for d, advancing the clock frame by frame.
func (r *rig) run(d time.Duration) {
	r.runCh(0, d)
}

func (r *rig) runCh(ch int, d time.Duration) {
	until := r.clk.Now().Add(d)
	rel := until.Sub(r.src.start)
	for {
		f := r.src.next(rel)
		if f == nil {
			break
		}
		r.clk.AdvanceTo(r.src.start.Add(f.PTS))
		if err := r.sdk.PushStream(ch, f); err != nil {
			r.pushErrs[CodeOf(err)]++
		}
	}
	r.clk.AdvanceTo(until)
}

// idle advances the clock without frames (the source skips the gap).
func (r *rig) idle(d time.Duration) {
	r.clk.Advance(d)
	r.src.start = r.src.start.Add(d)
}

// checkAccounting asserts that every frame sent has exactly one fate or is
// in flight, and no fate exists without a send.
// fataler is what checkAccounting needs of a *testing.T or *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func checkAccounting(t fataler, obs []observe.Observation, inflight []FrameRef) (sent, fated int) {
	t.Helper()
	type key struct {
		dev, ch int
		st      observe.Stream
		seq     uint64
	}
	sentSet := map[key]bool{}
	fates := map[key]int{}
	for _, o := range obs {
		k := key{o.Device, o.Channel, o.Stream, o.Seq}
		switch o.Kind {
		case observe.FrameSent:
			if sentSet[k] {
				t.Fatalf("frame %+v sent twice", k)
			}
			sentSet[k] = true
		case observe.FrameDelivered, observe.FrameDropped, observe.FrameLost, observe.FrameRejected:
			fates[k]++
		}
	}
	fl := map[key]bool{}
	for _, f := range inflight {
		k := key{7, f.Channel, f.Stream, f.Seq}
		fl[k] = true
	}
	var bad []string
	for k := range sentSet {
		n := fates[k]
		if fl[k] {
			n++
		}
		if n != 1 {
			bad = append(bad, fmt.Sprintf("%+v fates=%d inflight=%v", k, fates[k], fl[k]))
		}
	}
	for k := range fates {
		if !sentSet[k] {
			bad = append(bad, fmt.Sprintf("%+v has a fate but was never sent", k))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("… %d more", len(bad)-10))
		}
		t.Fatalf("accounting broken:\n%s", strings.Join(bad, "\n"))
	}
	return len(sentSet), len(fates)
}

func (r *rig) accounting() {
	r.t.Helper()
	checkAccounting(r.t, r.rec.obs, r.sdk.InFlight())
}
