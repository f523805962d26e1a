package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// ProbeConfig configures a probe player.
type ProbeConfig struct {
	// URL is the stream to play: rtmp://host[:port]/app/stream[?query].
	URL string
	// Device and Channel are the fleet index and channel the stream's
	// frames must carry in their stamps (a stamp of another device is
	// rejected, wrong_device).
	Device, Channel int
	Clock           clock.Clock
	// Sink receives one fate per attributable frame (FrameDelivered with
	// the latency arrival − capture, or FrameRejected).
	Sink observe.Sink
	// Dial opens the TCP connection (nil: a net.Dialer).
	Dial rtmp.DialFunc
	// Retry is the pause before playing again after the server ended the
	// stream or dropped the connection (default 200 ms).
	Retry time.Duration
	// MaxMessageSize bounds one received message (default 4 MiB).
	MaxMessageSize int
}

// Probe plays one stream back from any RTMP server (nginx-rtmp, a
// provider's ingest) and verifies what it receives exactly as the mock
// cloud's ingest does (streamVerifier): every stamped video frame and
// every audio frame of a stamped stream gets one fate, deduplicated
// across plays in a per-stream window of 1024 frame numbers (bounded
// memory). It plays again when the server ends the stream or drops the
// connection, until its context ends. HasFate makes it the push SDK's
// Receipts for the device it watches.
type Probe struct {
	cfg   ProbeConfig
	ready chan struct{} // closed once the first play has started
	done  chan struct{}

	fmu   sync.Mutex
	fates map[fateKey]*seqWindow

	mu    sync.Mutex
	stats ProbeStats
	last  time.Time // last media message
	conn  *rtmp.ClientConn
	cur   *streamVerifier // the play in progress (its counters join stats at its end)
}

// ProbeStats is what a probe saw.
type ProbeStats struct {
	Plays     int         // plays started
	PlayFails int         // plays that could not start (dial, refusal)
	Stream    StreamStats // summed over plays
	LastErr   string      // the last play's end, when abnormal
}

// NewProbe makes a probe; Start runs it.
func NewProbe(cfg ProbeConfig) (*Probe, error) {
	if cfg.URL == "" {
		return nil, errors.New("cloud: probe without a URL")
	}
	if _, err := rtmp.ParseURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("cloud: probe: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.NewReal()
	}
	if cfg.Sink == nil {
		return nil, errors.New("cloud: probe without a sink")
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 200 * time.Millisecond
	}
	return &Probe{cfg: cfg, ready: make(chan struct{}), done: make(chan struct{}),
		fates: make(map[fateKey]*seqWindow)}, nil
}

// Start plays in a goroutine until ctx ends; Done is closed then.
func (p *Probe) Start(ctx context.Context) {
	go p.run(ctx)
}

// Ready is closed once the first play has started (the server has
// answered NetStream.Play.Start: a publisher starting now is seen from its
// first frame).
func (p *Probe) Ready() <-chan struct{} { return p.ready }

// Done is closed when the probe has stopped.
func (p *Probe) Done() <-chan struct{} { return p.done }

// LastMedia is when the probe last received a media message (zero: none).
func (p *Probe) LastMedia() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// Stats returns what the probe saw so far.
func (p *Probe) Stats() ProbeStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	if p.cur != nil {
		s.Stream.add(&p.cur.st)
	}
	return s
}

// HasFate reports whether the probe gave the frame its fate (delivered
// or rejected); frame numbers older than the last 1024 of their stream
// count as decided (sim/device/push Receipts).
func (p *Probe) HasFate(device, channel int, stream observe.Stream, seq uint64) bool {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	w := p.fates[fateKey{device, channel, stream}]
	return w != nil && w.has(seq)
}

func (p *Probe) mark(k fateKey, seq uint64) bool {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	w := p.fates[k]
	if w == nil {
		w = &seqWindow{}
		p.fates[k] = w
	}
	return w.mark(seq)
}

func (p *Probe) run(ctx context.Context) {
	defer close(p.done)
	// closing the connection unblocks a read when ctx ends
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		c := p.conn
		p.mu.Unlock()
		if c != nil {
			_ = c.Close()
		}
	})
	defer stop()
	readyOnce := sync.OnceFunc(func() { close(p.ready) })
	defer readyOnce()
	for plays := 0; ctx.Err() == nil; plays++ {
		err := p.play(ctx, plays > 0, readyOnce)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, io.EOF) {
			p.mu.Lock()
			p.stats.LastErr = err.Error()
			p.mu.Unlock()
		}
		t := p.cfg.Clock.NewTimer(p.cfg.Retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// play plays the stream once, until the server ends it (io.EOF), the
// connection fails or ctx ends.
func (p *Probe) play(ctx context.Context, again bool, started func()) error {
	c, err := rtmp.Dial(ctx, p.cfg.URL, rtmp.ClientConfig{Dial: p.cfg.Dial, Clock: p.cfg.Clock,
		MaxMessageSize: p.cfg.MaxMessageSize})
	if err == nil {
		p.mu.Lock()
		p.conn = c
		p.mu.Unlock()
		if ctx.Err() != nil { // ended between the dial and the hand-over
			err = ctx.Err()
		} else {
			err = c.Play(ctx)
		}
	}
	if err != nil {
		p.mu.Lock()
		p.stats.PlayFails++
		p.conn = nil
		p.mu.Unlock()
		if c != nil {
			_ = c.Close()
		}
		return err
	}
	started()
	v := &streamVerifier{
		st:       StreamStats{Stream: c.URL().StreamName(), Device: p.cfg.Device},
		device:   p.cfg.Device,
		channel:  p.cfg.Channel,
		stamp:    readNALUStamp,
		emit:     p.cfg.Sink.Observe,
		fates:    p.mark,
		onReject: func(string) {},
		joined:   again,
	}
	p.mu.Lock()
	p.stats.Plays++
	p.cur = v
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		v.end()
		p.conn, p.cur = nil, nil
		p.stats.Stream.add(&v.st)
		p.mu.Unlock()
		_ = c.Close()
	}()
	for {
		m, err := c.ReadMessage()
		if err != nil {
			return err
		}
		p.take(v, m.Type, m.Payload, m.Timestamp.Duration(), p.cfg.Clock.Now())
	}
}

// take verifies one received message.
func (p *Probe) take(v *streamVerifier, typ chunk.TypeID, body []byte, ts time.Duration, now time.Time) {
	p.mu.Lock() // uncontended but for Stats
	defer p.mu.Unlock()
	switch typ {
	case chunk.TypeVideo:
		v.video(body, ts, now)
		p.last = now
	case chunk.TypeAudio:
		v.audio(body, ts, now)
		p.last = now
	case chunk.TypeDataAMF0:
		_, _ = v.metadata(body)
	}
}

// add sums the counters of one play into s.
func (s *StreamStats) add(o *StreamStats) {
	s.Stream, s.Device = o.Stream, o.Device
	if o.VideoCodec != "" {
		s.VideoCodec = o.VideoCodec
	}
	s.VideoFrames += o.VideoFrames
	s.AudioFrames += o.AudioFrames
	s.Delivered += o.Delivered
	s.Rejected += o.Rejected
	s.Unattributed += o.Unattributed
	s.Duplicates += o.Duplicates
	s.Gaps += o.Gaps
	s.GapFrames += o.GapFrames
	s.NonMonotonic += o.NonMonotonic
	s.Segments += o.Segments
	s.SegmentsEnded += o.SegmentsEnded
	s.LastLatency = o.LastLatency
	s.Bytes += o.Bytes
	s.BadMetadata += o.BadMetadata
	s.MalformedFrames += o.MalformedFrames
}
