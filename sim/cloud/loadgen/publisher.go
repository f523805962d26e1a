// Package loadgen publishes synthetic camera streams over RTMP for the mock
// cloud's tests and benchmarks: a device's media source (sim/device/source,
// stamped frames) written by media/rtmp's client, with reconnection and
// exact frame accounting. It is a load generator, not the push SDK (no RP
// state machine, no flow control): what it sends is what a camera sends on
// the wire.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// Reasons of the frames a publisher drops.
const (
	ReasonNotConnected = observe.ReasonNotConnected // no connection, or waiting for the next IDR after one
	ReasonQueueFull    = observe.ReasonBufferFull   // the writer fell behind the source
	ReasonConnLost     = observe.ReasonConnReset    // the write carrying it failed
)

// Config configures a Publisher.
type Config struct {
	URL    string // rtmp://host:port/app/stream?auth
	Device int    // fleet index: the stamp's device id and the observations'
	Shared *source.Shared
	Clock  clock.Clock
	Rand   *rand.Rand
	Sink   observe.Sink
	// Reconnect is the wait between connection attempts (default 500 ms).
	Reconnect time.Duration
	// Queue is how many frames may wait for the writer (default 64).
	Queue int
	// Client configures the RTMP client (its Dial may be a simulated link).
	Client rtmp.ClientConfig
}

// Stats are a publisher's counts.
type Stats struct {
	Sent, Written, Dropped, Lost int64
	Connects, ConnectFailures    int64
	LastErr                      string
}

// Publisher is one virtual camera publishing over RTMP.
type Publisher struct {
	cfg    Config
	src    *source.Source
	frames chan *av.Frame
	vhdr   []byte
	ahdr   []byte

	sent, written, dropped, lost atomic.Int64
	connects, connFailures       atomic.Int64
	mu                           sync.Mutex
	lastErr                      error
}

// New prepares a publisher; Run starts it.
func New(cfg Config) (*Publisher, error) {
	if cfg.Shared == nil || cfg.Clock == nil || cfg.Rand == nil || cfg.Sink == nil {
		return nil, errors.New("loadgen: Shared, Clock, Rand and Sink are required")
	}
	if cfg.Reconnect <= 0 {
		cfg.Reconnect = 500 * time.Millisecond
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 64
	}
	p := &Publisher{cfg: cfg, frames: make(chan *av.Frame, cfg.Queue)}
	sh := cfg.Shared
	switch sh.Profile.Video.Codec {
	case av.H264:
		dc, err := h264.NewDecoderConfig(sh.SPS, sh.PPS)
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		rec, err := dc.Append(nil)
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		if p.vhdr, err = flv.AppendVideoSequenceHeader(nil, av.H264, flv.HEVCLegacy, rec); err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
	default:
		return nil, fmt.Errorf("loadgen: video codec %v not supported", sh.Profile.Video.Codec)
	}
	if sh.Profile.Audio.Codec == av.AAC {
		p.ahdr = flv.AppendAACSequenceHeader(nil, sh.AudioConfig)
	}
	p.src = source.New(sh, uint64(cfg.Device), cfg.Clock, cfg.Rand, source.SinkFunc(p.capture))
	return p, nil
}

func streamOf(f *av.Frame) observe.Stream {
	if f.Codec.IsVideo() {
		return observe.Video
	}
	return observe.Audio
}

func (p *Publisher) observe(k observe.Kind, f *av.Frame, reason string) {
	p.cfg.Sink.Observe(observe.Observation{At: p.cfg.Clock.Now(), Kind: k, Device: p.cfg.Device,
		Stream: streamOf(f), Seq: f.Seq, Size: int64(f.Size()), Reason: reason})
}

// capture is the source's sink: every frame is sent (FrameSent) and queued
// for the writer, or dropped when the queue is full.
func (p *Publisher) capture(f *av.Frame, _ time.Duration) {
	p.sent.Add(1)
	p.observe(observe.FrameSent, f, "")
	select {
	case p.frames <- f:
	default:
		p.dropped.Add(1)
		p.observe(observe.FrameDropped, f, ReasonQueueFull)
	}
}

// Run publishes until ctx ends; frames still queued then are dropped
// (run_ended). It returns nil after ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	p.src.Start(ctx)
	defer p.drain()
	defer p.src.Stop()
	var conn *rtmp.ClientConn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	synced := false // the connection has had its IDR
	var retry clock.Timer
	var retryC <-chan time.Time
	dial := func() {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c, err := rtmp.Dial(dctx, p.cfg.URL, p.cfg.Client)
		if err == nil {
			if err = c.Publish(dctx); err != nil {
				c.Close()
			}
		}
		if err == nil && p.vhdr != nil {
			err = c.WriteVideo(0, p.vhdr)
		}
		if err == nil && p.ahdr != nil {
			err = c.WriteAudio(0, p.ahdr)
		}
		if err != nil {
			p.connFailures.Add(1)
			p.setErr(err)
			retry = p.cfg.Clock.NewTimer(p.cfg.Reconnect)
			retryC = retry.C()
			return
		}
		p.connects.Add(1)
		conn, synced = c, false
		p.src.RequestKeyFrame()
	}
	dial()
	var tag []byte
	for {
		var done <-chan struct{}
		if conn != nil {
			done = conn.Done()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-retryC:
			retryC = nil
			dial()
		case <-done:
			p.setErr(conn.Err())
			conn.Close()
			conn = nil
			retry = p.cfg.Clock.NewTimer(p.cfg.Reconnect)
			retryC = retry.C()
		case f := <-p.frames:
			if conn == nil || (!synced && !(f.Codec.IsVideo() && f.Key)) {
				p.dropped.Add(1)
				p.observe(observe.FrameDropped, f, ReasonNotConnected)
				continue
			}
			var err error
			ts := rtmp.Timestamp(f.DTS / time.Millisecond)
			if f.Codec.IsVideo() {
				if tag, err = flv.AppendVideoTagBody(tag[:0], f, flv.HEVCLegacy); err == nil {
					err = conn.WriteVideo(ts, tag)
				}
				synced = synced || f.Key
			} else {
				if tag, err = flv.AppendAudioTagBody(tag[:0], f); err == nil {
					err = conn.WriteAudio(ts, tag)
				}
			}
			if err != nil {
				p.lost.Add(1)
				p.observe(observe.FrameLost, f, ReasonConnLost)
				p.setErr(err)
				conn.Close()
				conn = nil
				retry = p.cfg.Clock.NewTimer(p.cfg.Reconnect)
				retryC = retry.C()
				continue
			}
			p.written.Add(1)
		}
	}
}

// drain drops what is still queued when the run ends.
func (p *Publisher) drain() {
	for {
		select {
		case f := <-p.frames:
			p.dropped.Add(1)
			p.observe(observe.FrameDropped, f, observe.ReasonRunEnded)
		default:
			return
		}
	}
}

func (p *Publisher) setErr(err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	p.lastErr = err
	p.mu.Unlock()
}

// Stats returns the publisher's counts.
func (p *Publisher) Stats() Stats {
	s := Stats{Sent: p.sent.Load(), Written: p.written.Load(), Dropped: p.dropped.Load(), Lost: p.lost.Load(),
		Connects: p.connects.Load(), ConnectFailures: p.connFailures.Load()}
	p.mu.Lock()
	if p.lastErr != nil {
		s.LastErr = p.lastErr.Error()
	}
	p.mu.Unlock()
	return s
}
