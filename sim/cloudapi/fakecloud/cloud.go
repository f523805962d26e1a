package fakecloud

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Frame is one frame found in a slice body.
type Frame struct {
	Stream  observe.Stream
	Seq     uint64
	Key     bool
	Capture time.Time
	// Positional: the container does not name the frame (TS and fMP4 audio
	// carry no stamp); Seq is its index among the slice's frames of its
	// stream and the cloud numbers it from the upload's sequence range.
	Positional bool
}

// Parser reads the frames of a slice body (TS, fMP4 or an interim format),
// appending to dst. It must return an error, never panic, on bad input.
type Parser func(dst []Frame, format cloudapi.Format, body []byte) ([]Frame, error)

// Config configures a Cloud.
type Config struct {
	Sink observe.Sink
	// Parser reads slice bodies; nil stores slices without frame accounting.
	Parser Parser
	// DeviceIndex maps a device id to the index used in observations
	// (default: the id's trailing decimal digits, e.g. "cam-0012" → 12).
	DeviceIndex func(device string) int
	// BackfillWindow: a backfill of a slice that ended longer ago is refused
	// with CodeExpired (default 30 min).
	BackfillWindow time.Duration
	// Latency is the base reply time of every call (default 20 ms).
	Latency time.Duration
	// Bandwidth is each device's uplink (0: unlimited).
	Bandwidth units.Bitrate
	// Seed drives the fault decisions.
	Seed uint64
	// MaxBody refuses larger slices with CodeTooLarge (default 16 MiB).
	MaxBody units.ByteSize
}

// Faults are the cloud-side faults; change them with SetFaults at any time.
type Faults struct {
	// Offline makes every call fail as a refused connection (a transport
	// error, not a cloudapi.Error).
	Offline bool
	// UploadErrorRate is the probability that a slice or picture upload is
	// answered 503 unavailable.
	UploadErrorRate float64
	// SlowReply is added to every reply.
	SlowReply time.Duration
	// Refuse answers every slice upload with this code (e.g. CodeBadSlice).
	Refuse string
}

// ErrOffline is the transport error of an offline cloud.
var ErrOffline = errors.New("fakecloud: connection refused")

type chanKey struct {
	device  string
	channel int
}

type frameKey struct {
	device  string
	channel int
	stream  observe.Stream
	seq     uint64
}

// StoredSlice is the index entry of a stored slice.
type StoredSlice struct {
	Seq              uint64
	UTCStart, UTCEnd time.Time
	Frames           int // video frames
	Backfill         bool
	EventID          int
	Size             int
}

// Cloud is the in-memory cloud. It is safe for concurrent use.
type Cloud struct {
	clk clock.Clock
	cfg Config

	mu          sync.Mutex
	rnd         *rand.Rand
	faults      Faults
	plans       map[chanKey]cloudapi.Plan
	version     uint64
	changed     chan struct{} // closed and replaced on every plan change
	index       map[chanKey][]StoredSlice
	delivered   map[frameKey]struct{}
	events      []cloudapi.EventReport
	pictures    int
	overwritten int
	calls       map[string]int
	frames      []Frame
	body        []byte                           // a streamed slice body read whole, reused
	stored      map[chanKey]map[uint64]time.Time // slice seq → UTC start, for idempotent retries
}

// New returns an empty cloud on clk.
func New(clk clock.Clock, cfg Config) *Cloud {
	if cfg.Sink == nil {
		cfg.Sink = observe.Discard{}
	}
	if cfg.DeviceIndex == nil {
		cfg.DeviceIndex = trailingNumber
	}
	if cfg.BackfillWindow <= 0 {
		cfg.BackfillWindow = 30 * time.Minute
	}
	if cfg.Latency <= 0 {
		cfg.Latency = 20 * time.Millisecond
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 16 * units.MiB
	}
	return &Cloud{
		clk:       clk,
		cfg:       cfg,
		rnd:       rng.New(cfg.Seed, "fakecloud"),
		plans:     map[chanKey]cloudapi.Plan{},
		changed:   make(chan struct{}),
		index:     map[chanKey][]StoredSlice{},
		delivered: map[frameKey]struct{}{},
		calls:     map[string]int{},
		stored:    map[chanKey]map[uint64]time.Time{},
	}
}

func trailingNumber(id string) int {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	n, _ := strconv.Atoi(id[i:])
	return n
}

// SetPlan sets a device channel's plan; the version increases and long
// polls return.
func (c *Cloud) SetPlan(device string, channel int, p cloudapi.Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	p.Version = c.version
	c.plans[chanKey{device, channel}] = p
	close(c.changed)
	c.changed = make(chan struct{})
}

// SetFaults replaces the fault settings.
func (c *Cloud) SetFaults(f Faults) {
	c.mu.Lock()
	c.faults = f
	c.mu.Unlock()
}

// Faults returns the fault settings.
func (c *Cloud) Faults() Faults {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults
}

func (c *Cloud) plan(k chanKey) cloudapi.Plan {
	p, ok := c.plans[k]
	if !ok {
		return cloudapi.Plan{Kind: cloudapi.PlanNone, Version: c.version}
	}
	return p
}

// CallDelay implements cstorage.VirtualStorage: sending size bytes at the
// device's bandwidth, then the reply latency plus any slow-reply fault.
func (c *Cloud) CallDelay(op, device string, channel, size int) (send, reply time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.Bandwidth > 0 && size > 0 {
		send = time.Duration(float64(size) / c.cfg.Bandwidth.BytesPerSecond() * float64(time.Second))
	}
	return send, c.cfg.Latency + c.faults.SlowReply
}

func (c *Cloud) observe(o observe.Observation) {
	o.At = c.clk.Now()
	c.cfg.Sink.Observe(o)
}

// QueryPlan implements cloudapi.Storage. With knownVersion equal to the
// current version it waits for a change or the context's end (long poll).
func (c *Cloud) QueryPlan(ctx context.Context, device string, channel int, knownVersion uint64) (cloudapi.Plan, error) {
	k := chanKey{device, channel}
	for {
		c.mu.Lock()
		c.calls["plan"]++
		if c.faults.Offline {
			c.mu.Unlock()
			return cloudapi.Plan{}, ErrOffline
		}
		p, ch := c.plan(k), c.changed
		c.mu.Unlock()
		if knownVersion == 0 || p.Version != knownVersion {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-ch:
		}
	}
}

// UploadSlice implements cloudapi.Storage: checks, parse, overlap, frames.
func (c *Cloud) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	if err := ctx.Err(); err != nil {
		return cloudapi.SliceReceipt{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls["slice"]++
	if c.faults.Offline {
		return cloudapi.SliceReceipt{}, ErrOffline
	}
	if s.Content != nil {
		// A streamed body is read whole here, as a server reads a request:
		// a reader that fails or is short is a transport error.
		body, err := s.ReadBody(c.body)
		if err != nil {
			return cloudapi.SliceReceipt{}, err
		}
		c.body = body[:0]
		s.Body, s.Content = body, nil
	}
	k := chanKey{s.Device, s.Channel}
	if t, ok := c.stored[k][s.Seq]; ok && t.Equal(s.UTCStart) {
		// the same slice again (a retry or backfill after a lost reply):
		// stored already, whatever the plan or the window say now
		return cloudapi.SliceReceipt{Stored: true, Frames: int(s.FrameSeqLast - s.FrameSeqFirst + 1)}, nil
	}
	if c.faults.UploadErrorRate > 0 && c.rnd.Float64() < c.faults.UploadErrorRate {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 503, Code: cloudapi.CodeUnavailable, Msg: "injected upload error"}
	}
	if c.faults.Refuse != "" {
		return cloudapi.SliceReceipt{}, c.refuse(&s, &cloudapi.Error{Status: 400, Code: c.faults.Refuse, Msg: "injected refusal"})
	}
	if p := c.plan(k); !p.Valid || p.Kind == cloudapi.PlanNone {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 403, Code: cloudapi.CodeNoService, Msg: "no valid plan"}
	}
	if units.ByteSize(len(s.Body)) > c.cfg.MaxBody {
		return cloudapi.SliceReceipt{}, c.refuse(&s, &cloudapi.Error{Status: 413, Code: cloudapi.CodeTooLarge, Msg: fmt.Sprintf("%d bytes", len(s.Body))})
	}
	if !s.UTCEnd.After(s.UTCStart) && !s.UTCEnd.Equal(s.UTCStart) {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadRequest, Msg: "utc end before start"}
	}
	if s.Backfill && c.clk.Now().Sub(s.UTCEnd) > c.cfg.BackfillWindow {
		return cloudapi.SliceReceipt{}, &cloudapi.Error{Status: 410, Code: cloudapi.CodeExpired, Msg: "backfill past its window"}
	}
	frames := c.frames[:0]
	if c.cfg.Parser != nil {
		var err error
		frames, err = c.cfg.Parser(frames, s.Format, s.Body)
		c.frames = frames[:0]
		if err == nil {
			err = verify(&s, frames)
		}
		if err != nil {
			return cloudapi.SliceReceipt{}, c.refuse(&s, err)
		}
	}
	if c.stored[k] == nil {
		c.stored[k] = map[uint64]time.Time{}
	}
	c.stored[k][s.Seq] = s.UTCStart
	dev := c.cfg.DeviceIndex(s.Device)
	// CS17: a slice overlapping stored ranges replaces them, counted.
	kept := c.index[k][:0]
	over := 0
	for _, st := range c.index[k] {
		if !st.UTCStart.After(s.UTCEnd) && !s.UTCStart.After(st.UTCEnd) {
			over++
			c.observe(observe.Observation{Kind: observe.SliceOverwritten, Device: dev, Channel: s.Channel, Seq: st.Seq, Size: int64(st.Size)})
			continue
		}
		kept = append(kept, st)
	}
	video := 0
	now := c.clk.Now()
	for _, f := range frames {
		if f.Stream == observe.Video {
			video++
		}
		if f.Positional {
			if f.Stream == observe.Video {
				f.Seq += s.FrameSeqFirst
			} else {
				f.Seq += s.AudioSeqFirst
			}
		}
		fk := frameKey{s.Device, s.Channel, f.Stream, f.Seq}
		if _, dup := c.delivered[fk]; dup {
			continue
		}
		c.delivered[fk] = struct{}{}
		c.observe(observe.Observation{Kind: observe.FrameDelivered, Device: dev, Channel: s.Channel, Stream: f.Stream, Seq: f.Seq, Value: now.Sub(f.Capture)})
	}
	c.index[k] = append(kept, StoredSlice{Seq: s.Seq, UTCStart: s.UTCStart, UTCEnd: s.UTCEnd, Frames: video, Backfill: s.Backfill, EventID: s.EventID, Size: len(s.Body)})
	c.overwritten += over
	return cloudapi.SliceReceipt{Stored: true, Frames: video, Overwritten: over}, nil
}

// verify checks the parsed frames against the upload's header: a video
// frame first, an IDR; as many video and audio frames as the header's
// ranges name.
func verify(s *cloudapi.SliceUpload, frames []Frame) error {
	video, audio := 0, 0
	for _, f := range frames {
		if f.Stream != observe.Video {
			audio++
			continue
		}
		if video == 0 && !f.Key {
			return &cloudapi.Error{Status: 400, Code: cloudapi.CodeNotIDR, Msg: fmt.Sprintf("first video frame %d is not an IDR", f.Seq)}
		}
		video++
	}
	if video == 0 {
		return &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadSlice, Msg: "no video frame"}
	}
	if want := s.FrameSeqLast - s.FrameSeqFirst + 1; s.FrameSeqLast < s.FrameSeqFirst || uint64(video) != want {
		return &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadSlice, Msg: fmt.Sprintf("%d video frames, the header names %d..%d", video, s.FrameSeqFirst, s.FrameSeqLast)}
	}
	if audio != s.AudioFrames {
		return &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadSlice, Msg: fmt.Sprintf("%d audio frames, the header says %d", audio, s.AudioFrames)}
	}
	return nil
}

// maxRefusedFrames bounds the frames a refusal rejects from a header's ranges.
const maxRefusedFrames = 1 << 16

// refuse answers a slice refused on content: every frame its header's
// ranges name gets FrameRejected (the device does not retry it). c.mu held.
func (c *Cloud) refuse(s *cloudapi.SliceUpload, err error) error {
	ce, ok := err.(*cloudapi.Error)
	if !ok {
		ce = &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadSlice, Msg: err.Error()}
	}
	dev := c.cfg.DeviceIndex(s.Device)
	reject := func(st observe.Stream, first, last uint64) {
		if last < first || last-first >= maxRefusedFrames {
			return
		}
		for q := first; q <= last; q++ {
			c.observe(observe.Observation{Kind: observe.FrameRejected, Device: dev, Channel: s.Channel, Stream: st, Seq: q, Reason: ce.Code})
		}
	}
	reject(observe.Video, s.FrameSeqFirst, s.FrameSeqLast)
	if s.AudioFrames > 0 {
		reject(observe.Audio, s.AudioSeqFirst, s.AudioSeqLast)
	}
	return ce
}

// UploadPicture implements cloudapi.Storage; the body must be a JPEG (SOI … EOI).
func (c *Cloud) UploadPicture(ctx context.Context, p cloudapi.PictureUpload) (cloudapi.PictureReceipt, error) {
	if err := ctx.Err(); err != nil {
		return cloudapi.PictureReceipt{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls["picture"]++
	if c.faults.Offline {
		return cloudapi.PictureReceipt{}, ErrOffline
	}
	if c.faults.UploadErrorRate > 0 && c.rnd.Float64() < c.faults.UploadErrorRate {
		return cloudapi.PictureReceipt{}, &cloudapi.Error{Status: 503, Code: cloudapi.CodeUnavailable, Msg: "injected upload error"}
	}
	b := p.Body
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 || b[len(b)-2] != 0xFF || b[len(b)-1] != 0xD9 {
		return cloudapi.PictureReceipt{}, &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadRequest, Msg: "not a JPEG"}
	}
	c.pictures++
	return cloudapi.PictureReceipt{ID: fmt.Sprintf("pic-%d", c.pictures)}, nil
}

// ReportEvent implements cloudapi.Storage.
func (c *Cloud) ReportEvent(ctx context.Context, e cloudapi.EventReport) (cloudapi.EventReceipt, error) {
	if err := ctx.Err(); err != nil {
		return cloudapi.EventReceipt{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls["event"]++
	if c.faults.Offline {
		return cloudapi.EventReceipt{}, ErrOffline
	}
	if e.EventID <= 0 || e.End.Before(e.Start) {
		return cloudapi.EventReceipt{}, &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadRequest, Msg: "bad event"}
	}
	c.events = append(c.events, e)
	return cloudapi.EventReceipt{OK: true}, nil
}

// DestroyResources implements cloudapi.Storage: the device's slices,
// events and plans are deleted.
func (c *Cloud) DestroyResources(ctx context.Context, device string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls["destroy"]++
	if c.faults.Offline {
		return ErrOffline
	}
	for k := range c.index {
		if k.device == device {
			delete(c.index, k)
			delete(c.stored, k)
		}
	}
	changed := false
	for k := range c.plans {
		if k.device == device {
			delete(c.plans, k)
			changed = true
		}
	}
	if changed {
		c.version++
		close(c.changed)
		c.changed = make(chan struct{})
	}
	kept := c.events[:0]
	for _, e := range c.events {
		if e.Device != device {
			kept = append(kept, e)
		}
	}
	c.events = kept
	return nil
}

// Token implements cloudapi.Tokens with a URL and token derived from the
// device SN.
func (c *Cloud) Token(ctx context.Context, r cloudapi.TokenRequest) (cloudapi.TokenReply, error) {
	if err := ctx.Err(); err != nil {
		return cloudapi.TokenReply{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls["token"]++
	if c.faults.Offline {
		return cloudapi.TokenReply{}, ErrOffline
	}
	if r.DeviceSN == "" {
		return cloudapi.TokenReply{}, &cloudapi.Error{Status: 400, Code: cloudapi.CodeBadRequest, Msg: "device_sn missing"}
	}
	return cloudapi.TokenReply{
		URL:     "rtmp://127.0.0.1:1935/live/" + r.DeviceSN,
		Token:   fmt.Sprintf("tok-%s-%d", r.DeviceSN, c.calls["token"]),
		Expires: c.clk.Now().Add(time.Hour),
	}, nil
}

// Stored returns the index of a device channel, in storage order.
func (c *Cloud) Stored(device string, channel int) []StoredSlice {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]StoredSlice(nil), c.index[chanKey{device, channel}]...)
}

// Events returns the event reports received.
func (c *Cloud) Events() []cloudapi.EventReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cloudapi.EventReport(nil), c.events...)
}

// Counts are the cloud's counters.
type Counts struct {
	Calls       map[string]int
	Pictures    int
	Overwritten int
}

// Counts returns a snapshot of the counters.
func (c *Cloud) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		calls[k] = v
	}
	return Counts{Calls: calls, Pictures: c.pictures, Overwritten: c.overwritten}
}
