package cloud

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud/loadgen"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// startPublisher publishes device dev's stamped stream to url until the
// returned stop is called.
func startPublisher(t *testing.T, url string, dev int, sink observe.Sink) (stop func()) {
	t.Helper()
	sh, err := source.NewShared(loadgen.Quickstart())
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadgen.New(loadgen.Config{URL: url, Device: dev, Shared: sh, Clock: clock.NewReal(),
		Rand: rng.New(1, "probe-test", fmt.Sprint(dev)), Sink: sink, Reconnect: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// waitFor polls cond (a real peer's pace, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitQuiet waits until the probe has received nothing for 500 ms.
func waitQuiet(t *testing.T, p *Probe) {
	t.Helper()
	waitFor(t, "the probe to go quiet", func() bool {
		last := p.LastMedia()
		return !last.IsZero() && time.Since(last) > 500*time.Millisecond
	})
}

func seqs(obs []observe.Observation, k observe.Kind, s observe.Stream) map[uint64]observe.Observation {
	out := map[uint64]observe.Observation{}
	for _, o := range obs {
		if o.Kind == k && o.Stream == s {
			out[o.Seq] = o
		}
	}
	return out
}

// TestProbePlaysFromNginx: a probe waits on nginx-rtmp for a stream nobody
// publishes yet, then sees the publisher's stream from its first frame:
// every video frame the publisher wrote gets exactly one delivered fate
// with a sane latency, HasFate knows each, and nothing is rejected.
func TestProbePlaysFromNginx(t *testing.T) {
	testpeer.Require(t, "nginx")
	ngx := testpeer.StartNginxRTMP(t, testpeer.NginxOptions{App: "live", Quiet: true})
	url := ngx.URL("live", "cam-0003")
	var got recorder
	p, err := NewProbe(ProbeConfig{URL: url, Device: 3, Clock: clock.NewReal(), Sink: &got})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-p.Done() }()
	p.Start(ctx)
	<-p.Ready()
	var sent recorder
	stop := startPublisher(t, url, 3, &sent)
	waitFor(t, "60 delivered video frames", func() bool { return got.count(observe.FrameDelivered, "") >= 60 })
	stop()
	waitQuiet(t, p)

	wrote := seqs(sent.all(), observe.FrameSent, observe.Video)
	delivered := seqs(got.all(), observe.FrameDelivered, observe.Video)
	if n := got.count(observe.FrameRejected, ""); n != 0 {
		t.Fatalf("%d frames rejected", n)
	}
	if d := got.count(observe.FrameDelivered, ""); d != len(delivered)+len(seqs(got.all(), observe.FrameDelivered, observe.Audio)) {
		t.Fatalf("a frame delivered twice: %d delivered observations", d)
	}
	for seq, o := range delivered {
		if _, ok := wrote[seq]; !ok {
			t.Errorf("video frame %d delivered but never sent", seq)
		}
		if o.Device != 3 || o.Value <= 0 || o.Value > 5*time.Second {
			t.Errorf("frame %d: device %d latency %v", seq, o.Device, o.Value)
		}
		if !p.HasFate(3, 0, observe.Video, seq) {
			t.Errorf("HasFate(video %d) false for a delivered frame", seq)
		}
	}
	// frames written before the stop reached nginx and were relayed; the
	// last few may have been cut by the publisher's own close
	if len(delivered) < len(wrote)-5 {
		t.Fatalf("%d of %d written video frames delivered", len(delivered), len(wrote))
	}
	if p.HasFate(3, 0, observe.Video, 1<<40) {
		t.Fatal("HasFate true for a frame never sent")
	}
	if st := p.Stats(); st.Plays != 1 || st.Stream.Delivered != int64(got.count(observe.FrameDelivered, "")) {
		t.Fatalf("stats %+v", st)
	}
}

// TestProbePlaysAgainAfterDrop: the server drops every connection; the
// publisher reconnects and the probe plays again, joining mid-stream: the
// frames before its first IDR get no fate (it missed their references),
// none is rejected, and delivery resumes.
func TestProbePlaysAgainAfterDrop(t *testing.T) {
	c := startCloud(t, Config{HTTPAddr: "off", RTPAddr: "off"}, clock.NewReal(), observe.Discard{})
	url := c.PublishURL("live", "cam-0004")
	stop := startPublisher(t, url, 4, observe.Discard{})
	defer stop()
	waitFor(t, "the stream to go live", func() bool { return c.Snapshot().LiveStreams == 1 })
	var got recorder
	p, err := NewProbe(ProbeConfig{URL: url, Device: 4, Clock: clock.NewReal(), Sink: &got, Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-p.Done() }()
	p.Start(ctx)
	waitFor(t, "30 delivered frames", func() bool { return got.count(observe.FrameDelivered, "") >= 30 })
	before := got.count(observe.FrameDelivered, "")
	c.DropConnections()
	waitFor(t, "a second play", func() bool { return p.Stats().Plays >= 2 })
	waitFor(t, "delivery after the drop", func() bool { return got.count(observe.FrameDelivered, "") >= before+30 })
	if n := got.count(observe.FrameRejected, ""); n != 0 {
		t.Fatalf("%d frames rejected after playing again: %+v", n, got.all())
	}
}

// TestProbeStopsWithContext: a probe whose server is absent keeps trying
// until its context ends, then stops; Ready is closed too.
func TestProbeStopsWithContext(t *testing.T) {
	port := testpeer.FreePort(t)
	p, err := NewProbe(ProbeConfig{URL: fmt.Sprintf("rtmp://127.0.0.1:%d/live/x", port), Sink: observe.Discard{},
		Retry: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	waitFor(t, "failed plays", func() bool { return p.Stats().PlayFails >= 2 })
	cancel()
	<-p.Done()
	<-p.Ready()
	if p.Stats().Plays != 0 || p.Stats().LastErr == "" {
		t.Fatalf("stats %+v", p.Stats())
	}
}

func TestNewProbeRefusesBadConfig(t *testing.T) {
	for _, cfg := range []ProbeConfig{
		{Sink: observe.Discard{}},
		{URL: "http://x/live/s", Sink: observe.Discard{}},
		{URL: "rtmp://127.0.0.1/live/s"},
	} {
		if _, err := NewProbe(cfg); err == nil {
			t.Errorf("NewProbe(%+v) accepted", cfg)
		}
	}
}

// BenchmarkProbeFrames: the probe's per-message cost past the RTMP read
// (FLV parse, stamp, checks, fate window, stats lock) for the quickstart
// mix; one op is one message. Compare BenchmarkIngestFrames.
func BenchmarkProbeFrames(b *testing.B) {
	m := newTestMedia(b)
	msgs := stampedStream(b, m, 1, 0, 300, true)
	p, err := NewProbe(ProbeConfig{URL: "rtmp://127.0.0.1/live/cam-1", Device: 1, Sink: observe.Discard{}})
	if err != nil {
		b.Fatal(err)
	}
	newV := func() *streamVerifier {
		p.fates = map[fateKey]*seqWindow{}
		return &streamVerifier{device: 1, stamp: readNALUStamp, emit: observe.Discard{}.Observe, fates: p.mark,
			onReject: func(string) {}}
	}
	v := newV()
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(msgs)
		if k == 0 && i > 0 {
			v = newV() // a fresh stream each round
		}
		switch msg := msgs[k]; msg.kind {
		case "video":
			p.take(v, chunk.TypeVideo, msg.body, msg.ts, now)
		case "audio":
			p.take(v, chunk.TypeAudio, msg.body, msg.ts, now)
		}
	}
}
