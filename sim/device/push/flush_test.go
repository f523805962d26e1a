package push

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// writeCounter counts socket writes once the connection is up.
type writeCounter struct {
	mu     sync.Mutex
	writes int
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// flushRun pushes a segment of frames, all queued at once and then one
// every 20 ms of the clock from start, with the given FlushDelay; it returns the
// messages the ingest received and the socket writes of the media (those of
// the first half, all).
func flushRun(t *testing.T, start time.Time, delay time.Duration, onVideo bool) (msgs []rtmp.Message, firstHalf, writes int, log *obsLog) {
	clk := clock.NewFake(start)
	rec := &recorder{}
	srv := newServer(rec, clk)
	defer srv.close()
	sh := quickstart(t, av.H264)
	fs := frames(t, sh, 1, 1, 2*time.Second)
	wc := &writeCounter{}
	counting := false
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := srv.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &gatedConn{Conn: nc, log: func([]byte) {
			wc.mu.Lock()
			if counting {
				wc.writes++
			}
			wc.mu.Unlock()
		}}, nil
	}
	log = &obsLog{}
	s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(1, 2)), Sink: log, Dial: dial},
		Options{AudioConfig: sh.AudioConfig, FlushDelay: delay, FlushOnVideo: onVideo, Heartbeat: time.Hour})
	if err := s.Initialize(units.MiB, 2); err != nil {
		t.Fatal(err)
	}
	cbs := &callbacks{}
	id, err := s.Connect("rtmp://cloud.test/live/cam-0001", "", cbs.cb)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connect", func() bool { return cbs.has(EventConnectSuccess) })
	wc.mu.Lock()
	counting = true
	wc.mu.Unlock()
	half := len(fs) / 2
	if err := s.SendMetadata(id, MetaStreamStart, int64(TriggerDefault), 0); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs[:half] {
		if err := s.SendFrame(id, f); err != nil {
			t.Fatal(err)
		}
	}
	if delay > 0 && !onVideo {
		if n := wc.count(); n != 0 {
			t.Errorf("%d socket writes before the flush delay passed", n)
		}
		clk.Advance(delay)
	}
	waitFor(t, "first part written", func() bool { return !s.Busy() })
	firstHalf = wc.count()
	for k, f := range fs[half:] {
		if err := s.SendFrame(id, f); err != nil {
			t.Fatal(err)
		}
		clk.Advance(20 * time.Millisecond)
		if delay == 0 || (k+1)%3 == 0 && !onVideo || onVideo && f.Codec.IsVideo() {
			// the flush timer fired (armed by the first of three frames):
			// the sender takes what is queued
			waitFor(t, "flushed", func() bool { return !s.Busy() })
		}
	}
	clk.Advance(delay)
	waitFor(t, "all written", func() bool { return !s.Busy() })
	writes = wc.count()
	if err := s.Close(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "closed", func() bool { return cbs.has(EventClose) })
	if err := s.Uninitialize(); err != nil {
		t.Fatal(err)
	}
	want := 1 + len(fs) + 1 // metadata start, onMetaData is within the first frame's batch
	waitFor(t, "ingest received everything", func() bool { return len(rec.messages()) >= want })
	return rec.messages(), firstHalf, writes, log
}

// TestFlushDelay: with FlushDelay the sender gathers what is queued during
// the delay on the clock and writes it with one socket write — the queue
// of a second of frames in one write, then one write per 60 ms for frames
// 20 ms apart; with FlushOnVideo each video frame goes at once with the
// audio gathered before it — while the ingest receives exactly the
// messages of an SDK writing each at once, and the observations are the
// same.
func TestFlushDelay(t *testing.T) {
	start := time.Now().Truncate(time.Second) // all runs: the same metadata times
	direct, _, dWrites, dLog := flushRun(t, start, 0, false)
	gathered, _, gWrites, gLog := flushRun(t, start, 60*time.Millisecond, false)
	onVideo, vFirst, vWrites, vLog := flushRun(t, start, 60*time.Millisecond, true)
	for _, other := range [][]rtmp.Message{gathered, onVideo} {
		if len(direct) != len(other) {
			t.Fatalf("ingest received %d messages written at once, %d gathered", len(direct), len(other))
		}
		for i := range direct {
			d, g := direct[i], other[i]
			if d.Type != g.Type || d.Timestamp != g.Timestamp || !bytes.Equal(d.Payload, g.Payload) {
				t.Fatalf("message %d differs: %v ts %d len %d, gathered %v ts %d len %d", i, d.Type, d.Timestamp, len(d.Payload), g.Type, g.Timestamp, len(g.Payload))
			}
		}
	}
	// at once: one write per message given (the key frame's sequence
	// header and the first frame's onMetaData share their frame's write)
	given := len(direct) - 3 // metadata start and frames; not onMetaData, AVC and AAC headers
	if dWrites != given {
		t.Errorf("written at once: %d socket writes for %d messages given", dWrites, given)
	}
	// gathered: one write for the metadata and the queued half, then one
	// for each three frames 20 ms apart
	rest := given - 1 - (given-1)/2
	if want := 1 + (rest+2)/3; gWrites != want {
		t.Errorf("gathered: %d socket writes, want %d", gWrites, want)
	}
	// on video: the first half (queued at once) in as many writes as the
	// sender woke for its video frames, then one write per video frame
	// (with the audio before it), and the audio after the last video frame
	// when the delay runs out
	fs := frames(t, quickstart(t, av.H264), 1, 1, 2*time.Second)
	firstVideo := 0
	for _, f := range fs[:len(fs)/2] {
		if f.Codec.IsVideo() {
			firstVideo++
		}
	}
	if vFirst < 1 || vFirst > firstVideo {
		t.Errorf("on video: the first half in %d socket writes, want 1..%d", vFirst, firstVideo)
	}
	wantV := 0
	trailing := false
	for _, f := range fs[len(fs)/2:] {
		if f.Codec.IsVideo() {
			wantV++
			trailing = false
		} else {
			trailing = true
		}
	}
	if trailing {
		wantV++
	}
	if vWrites-vFirst != wantV {
		t.Errorf("on video: %d socket writes for the frames 20 ms apart, want %d", vWrites-vFirst, wantV)
	}
	t.Logf("%d messages: %d writes at once, %d gathered, %d on video", len(direct), dWrites, gWrites, vWrites)
	for _, k := range []observe.Kind{observe.FrameSent, observe.SegmentStarted, observe.PushPaused} {
		for _, l := range []*obsLog{gLog, vLog} {
			if a, b := dLog.count(k, ""), l.count(k, ""); a != b {
				t.Errorf("%s: %d written at once, %d gathered", k, a, b)
			}
		}
	}
}
