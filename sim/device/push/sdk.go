package push

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// ConnID identifies a connection (the lcid of the reference API).
type ConnID int64

// SDK is one camera's push SDK instance (the C SDK's global state).
type SDK struct {
	deps Deps
	opts Options
	n    notifier

	mu       sync.Mutex
	ctx      context.Context
	cancel   context.CancelFunc
	inited   bool
	detached bool // Detach: nothing more is observed
	// settled: a connection attempt has ended (up or failed). Until then a
	// frame with no connection to go on is dropped by design (connecting);
	// after, it is loss (not_connected) — a camera that cannot connect at
	// all does not hide its frames as policy.
	settled  bool
	pool     int64 // bytes
	used     int64 // bytes held by queued messages of every connection
	maxConns int
	tokens   cloudapi.Tokens
	conns    map[ConnID]*conn // the connections not yet ended
	lastConn *conn            // the last one connLocked found
	nextID   ConnID
	firstID  ConnID      // the first id of this initialization: ids from it to nextID not in conns have ended
	audioCfg *aac.Config // of SendFrame's AAC
	vcodec   av.Codec    // the video codec seen
	timers   map[*lostCheck]struct{}
	wg       sync.WaitGroup
	pc       paramCache // checked parameter sets (caller side)
	nalus    [][]byte   // SendPacket's split buffer
}

// New makes an SDK; Initialize starts it.
func New(deps Deps, opts Options) *SDK {
	opts.defaults()
	return &SDK{deps: deps, opts: opts}
}

// Initialize sets the memory pool (more than 100 KB) and the maximum number
// of connections (more than 1) (RP1).
func (s *SDK) Initialize(poolSize units.ByteSize, maxConns int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inited {
		return ErrInitialized
	}
	if poolSize <= MinPoolSize {
		return errorf(EventInvalidParam, "memory pool %d bytes: must exceed %d", poolSize, MinPoolSize)
	}
	if maxConns <= 1 {
		return errorf(EventInvalidParam, "max connections %d: must exceed 1", maxConns)
	}
	if s.deps.Clock == nil || s.deps.Sink == nil {
		return errorf(EventInvalidParam, "clock and sink are required")
	}
	if len(s.opts.AudioConfig) > 0 {
		c, err := aac.ParseConfig(s.opts.AudioConfig)
		if err != nil {
			return errorf(EventInvalidParam, "audio config: %v", err)
		}
		s.audioCfg = &c
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.inited, s.detached = true, false
	s.pool, s.used, s.maxConns = int64(poolSize), 0, maxConns
	s.conns = make(map[ConnID]*conn)
	s.lastConn = nil
	s.firstID = s.nextID + 1
	s.timers = make(map[*lostCheck]struct{})
	s.pc = paramCache{}
	return nil
}

// SetTokenServer sets the token server used by ConnectByDeviceSN,
// ConnectByDeviceToken and LiveConnect (RP2).
func (s *SDK) SetTokenServer(t cloudapi.Tokens) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inited {
		return ErrNotInitialized
	}
	if t == nil {
		return errorf(EventInvalidParam, "nil token server")
	}
	s.tokens = t
	return nil
}

// Connect connects to url (rtmp://host:port/$app/$stream/$time), with token
// appended as ?token= when given. The stages run on the connection's own
// goroutine; their outcome arrives through cb (RP3).
func (s *SDK) Connect(rawURL, token string, cb Callback) (ConnID, error) {
	return s.open(target{url: rawURL, token: token}, cb)
}

// ConnectByDeviceSN asks the token server for the URL and token of device
// sn with the client credentials, then connects.
func (s *SDK) ConnectByDeviceSN(clientID, clientSecret, sn string, cb Callback) (ConnID, error) {
	if sn == "" {
		return 0, errorf(EventInvalidParam, "empty device SN")
	}
	return s.open(target{req: &cloudapi.TokenRequest{DeviceSN: sn, ClientID: clientID, ClientSecret: clientSecret}}, cb)
}

// ConnectByDeviceToken asks the token server for the URL and token of a
// device token, then connects.
func (s *SDK) ConnectByDeviceToken(deviceToken string, cb Callback) (ConnID, error) {
	if deviceToken == "" {
		return 0, errorf(EventInvalidParam, "empty device token")
	}
	return s.open(target{req: &cloudapi.TokenRequest{DeviceToken: deviceToken}}, cb)
}

// LiveConnect connects a live session of device sn through the token
// server tokens (nil: the one of SetTokenServer). Its segments take live
// trigger types only (100–105).
func (s *SDK) LiveConnect(tokens cloudapi.Tokens, sn string, cb Callback) (ConnID, error) {
	if sn == "" {
		return 0, errorf(EventInvalidParam, "empty device SN")
	}
	return s.open(target{req: &cloudapi.TokenRequest{DeviceSN: sn}, tokens: tokens, live: true}, cb)
}

// target is where a connection goes.
type target struct {
	url, token string
	req        *cloudapi.TokenRequest
	tokens     cloudapi.Tokens
	live       bool
}

func (s *SDK) open(t target, cb Callback) (ConnID, error) {
	if cb == nil {
		return 0, errorf(EventInvalidParam, "nil callback")
	}
	s.mu.Lock()
	if !s.inited {
		s.mu.Unlock()
		return 0, ErrNotInitialized
	}
	if t.req != nil && t.tokens == nil {
		t.tokens = s.tokens
		if t.tokens == nil {
			s.mu.Unlock()
			return 0, ErrNoTokenServer
		}
	}
	live := 0
	for _, c := range s.conns {
		if !c.ended {
			live++
		}
	}
	if live >= s.maxConns {
		s.mu.Unlock()
		return 0, ErrTooManyConns
	}
	s.nextID++
	c := newConn(s, s.nextID, t, cb)
	s.conns[c.id] = c
	s.wg.Add(1)
	s.observe(observe.Observation{Kind: observe.ConnAttempt})
	s.mu.Unlock()
	go c.run()
	return c.id, nil
}

// withToken adds ?token= to a URL unless it already carries one.
func withToken(raw, token string) string {
	if token == "" {
		return raw
	}
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		if q, err := url.ParseQuery(raw[i+1:]); err == nil && q.Has("token") {
			return raw
		}
		return raw + "&token=" + url.QueryEscape(token)
	}
	return raw + "?token=" + url.QueryEscape(token)
}

// observe emits an observation stamped now with the SDK's device and
// channel.
func (s *SDK) observe(o observe.Observation) {
	if o.At.IsZero() {
		o.At = s.deps.Clock.Now()
	}
	o.Device, o.Channel = s.opts.Device, s.opts.Channel
	s.deps.Sink.Observe(o)
}

func streamOf(c av.Codec) observe.Stream {
	if c.IsVideo() {
		return observe.Video
	}
	return observe.Audio
}

// SendFrame sends one frame of the device's source (RP5 checks, RP6 flow
// control). Every frame is observed as sent; a frame that will not leave
// the device is observed dropped with its reason and the call returns an
// error (for media check failures an *Error with the code the callback
// also receives). The SDK keeps a copy of f: the caller may reuse it.
func (s *SDK) SendFrame(id ConnID, f *av.Frame) error {
	st := streamOf(f.Codec)
	s.mu.Lock()
	s.observe(observe.Observation{At: s.deps.Clock.Now(), Kind: observe.FrameSent, Stream: st, Seq: f.Seq, Size: int64(f.Size())})
	c, err := s.sendLocked(id, f, true)
	s.mu.Unlock()
	if c != nil {
		c.writeDirect()
	}
	s.n.flush()
	return err
}

// SendPacket sends Annex-B video (with start codes) or AAC with its ADTS
// header, as SVCloudPush_API_Send_Packet does. ts is the media timestamp.
// Packets given this way carry no fleetsim frame number and get no frame
// observations.
func (s *SDK) SendPacket(id ConnID, mt MediaType, data []byte, ts time.Duration, key bool) error {
	s.mu.Lock()
	c, err := s.sendPacketLocked(id, mt, data, ts, key)
	s.mu.Unlock()
	if c != nil {
		c.writeDirect()
	}
	s.n.flush()
	return err
}

// sendPacketLocked is SendPacket under the lock; a conn returned is for
// the caller to write to directly once the lock is released.
func (s *SDK) sendPacketLocked(id ConnID, mt MediaType, data []byte, ts time.Duration, key bool) (*conn, error) {
	c, err := s.connLocked(id)
	if err != nil {
		return nil, err
	}
	f := &av.Frame{PTS: ts, DTS: ts, Key: key}
	switch mt {
	case MediaH264, MediaH265:
		f.Codec = av.H264
		if mt == MediaH265 {
			f.Codec = av.H265
		}
		nalus, code, msg := fromAnnexB(s.nalus[:0], data)
		if code != EventNone {
			return nil, c.mediaErrorLocked(code, msg)
		}
		// the NAL units point into data, which the caller owns: keep a copy
		// for the queue
		own := make([]byte, len(data))
		copy(own, data)
		f.NALUs = make([][]byte, len(nalus))
		for i, n := range nalus {
			off := cap(data) - cap(n)
			f.NALUs[i] = own[off : off+len(n) : off+len(n)]
		}
		s.nalus = nalus[:0]
	case MediaAAC:
		payload, cfg, code, msg := fromADTS(data)
		if code != EventNone {
			return nil, c.mediaErrorLocked(code, msg)
		}
		f.Codec, f.Key = av.AAC, true
		f.Payload = append([]byte(nil), payload...)
		if s.audioCfg == nil || *s.audioCfg != cfg {
			s.audioCfg = &cfg
		}
	default:
		return nil, c.mediaErrorLocked(EventInvalidParam, fmt.Sprintf("media type %d not supported", mt))
	}
	return s.sendLocked(id, f, false)
}

// connLocked finds a connection.
func (s *SDK) connLocked(id ConnID) (*conn, error) {
	if !s.inited {
		return nil, ErrNotInitialized
	}
	if c := s.lastConn; c != nil && c.id == id {
		return c, nil // a camera sends every frame on the same connection
	}
	c := s.conns[id]
	if c == nil {
		if id >= s.firstID && id <= s.nextID {
			return nil, ErrClosed // it has ended (forgetLocked)
		}
		return nil, ErrUnknownConn
	}
	s.lastConn = c
	return c, nil
}

// forgetLocked drops a connection that has ended, so that a camera that
// reconnects all day holds only its live connections: later calls with
// its id get ErrClosed (connLocked), and its context leaves the SDK's.
func (s *SDK) forgetLocked(c *conn) {
	delete(s.conns, c.id)
	if s.lastConn == c {
		s.lastConn = nil
	}
	c.cancel()
}

// sendLocked is the common path of SendFrame and SendPacket. observed
// frames get their drop observations here. A conn returned is for the
// caller to write to directly once the lock is released (writeDirect).
func (s *SDK) sendLocked(id ConnID, f *av.Frame, observed bool) (*conn, error) {
	st := streamOf(f.Codec)
	drop := func(reason string, err error) (*conn, error) {
		if observed {
			s.observe(observe.Observation{Kind: observe.FrameDropped, Stream: st, Seq: f.Seq, Reason: reason})
		}
		return nil, err
	}
	notConnected := observe.ReasonNotConnected
	if !s.settled {
		notConnected = observe.ReasonConnecting
	}
	c, err := s.connLocked(id)
	if err != nil {
		return drop(notConnected, err)
	}
	key := f.Key
	if f.Codec.IsVideo() {
		code, k, msg := s.pc.checkVideo(f.Codec, f.NALUs)
		if code != EventNone {
			return drop(observe.ReasonBadMedia, c.mediaErrorLocked(code, msg))
		}
		key = k
		s.vcodec = f.Codec
	} else if code, msg := checkAudio(f.Codec, s.audioCfg, f.Payload); code != EventNone {
		return drop(observe.ReasonBadMedia, c.mediaErrorLocked(code, msg))
	}
	if c.state != stateUp || c.closing {
		return drop(notConnected, ErrClosed)
	}
	if f.Codec.IsVideo() {
		if c.needIDR != "" && !key {
			return drop(c.needIDR, ErrWaitIDR)
		}
	}
	if c.paused {
		if f.Codec.IsVideo() {
			c.needIDR = observe.ReasonPaused
		}
		return drop(observe.ReasonPaused, ErrPaused)
	}
	size := int64(f.Size()) + tagOverhead
	if s.pool-s.used-size < int64(PauseFreeBelow) || c.qBytes+size > s.pool/2 {
		c.pauseLocked()
		if f.Codec.IsVideo() {
			c.needIDR = observe.ReasonPaused
		}
		return drop(observe.ReasonPaused, ErrPaused)
	}
	if f.Codec.IsVideo() && key {
		c.needIDR = ""
	}
	// the queue keeps a copy (as the real SDK copies a frame into its
	// pool): the caller may reuse its frame once the call returns
	it := item{kind: itemFrame, f: f.Clone(), size: size, observed: observed, key: key}
	if c.enqueueLocked(it) {
		return c, nil
	}
	return nil, nil
}

// tagOverhead is what a frame holds in the pool beyond its media bytes
// (FLV tag header, NAL length prefixes, chunk headers).
const tagOverhead = 64

// SendMetadata sends a control metadata message (RP8). Stream start opens
// a segment (wparam: trigger type, lparam: local ms timestamp); stream end
// closes it (wparam: alarm time in ms, lparam: local ms timestamp); the
// segment-end callback (0x102) follows once the end has been sent (RP4).
func (s *SDK) SendMetadata(id ConnID, t MetaType, wparam, lparam int64) error {
	return s.sendMeta(id, t, wparam, lparam, "")
}

// SendEncryption sends the video or audio encryption metadata (types 2/3)
// with its key string; it belongs before the segment's stream start.
func (s *SDK) SendEncryption(id ConnID, video bool, mode Encrypt, key string) error {
	t := MetaAudioEncrypt
	if video {
		t = MetaVideoEncrypt
	}
	return s.sendMeta(id, t, int64(mode), 0, key)
}

func (s *SDK) sendMeta(id ConnID, t MetaType, wparam, lparam int64, key string) error {
	s.mu.Lock()
	c, err := s.sendMetaLocked(id, t, wparam, lparam, key)
	s.mu.Unlock()
	if c != nil {
		c.writeDirect()
	}
	s.n.flush()
	return err
}

// sendMetaLocked is sendMeta under the lock; a conn returned is for the
// caller to write to directly once the lock is released.
func (s *SDK) sendMetaLocked(id ConnID, t MetaType, wparam, lparam int64, key string) (*conn, error) {
	c, err := s.connLocked(id)
	if err != nil {
		return nil, err
	}
	if c.state != stateUp || c.closing {
		return nil, ErrClosed
	}
	o, err := metaObject(t, wparam, lparam, s.deps.Clock.Now(), key)
	if err != nil {
		return nil, c.mediaErrorLocked(EventInvalidParam, err.Error())
	}
	switch t {
	case MetaStreamStart:
		if c.target.live && !Trigger(wparam).Live() {
			return nil, c.mediaErrorLocked(EventInvalidParam, fmt.Sprintf("live connection with trigger %d", wparam))
		}
		if c.segOpen {
			return nil, errorf(EventInvalidParam, "stream start while segment %d is open", c.segSeq)
		}
		c.segOpen = true
		c.segSeq++
	case MetaStreamEnd:
		if !c.segOpen {
			return nil, errorf(EventInvalidParam, "stream end without stream start")
		}
		c.segOpen = false
	}
	if c.enqueueLocked(item{kind: itemMeta, meta: o, metaType: t, seg: c.segSeq, wparam: wparam, size: 256}) {
		return c, nil
	}
	return nil, nil
}

// IsConnected reports whether the connection is up (SVCloudPush_API_Is_Connect).
func (s *SDK) IsConnected(id ConnID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[id]
	return c != nil && c.state == stateUp && !c.closing
}

// Close ends a connection: what is queued is sent, then the stream is
// unpublished and the connection closed (callback 0x08).
func (s *SDK) Close(id ConnID) error {
	s.mu.Lock()
	c, err := s.connLocked(id)
	if err != nil {
		s.mu.Unlock()
		if errors.Is(err, ErrClosed) {
			return nil // it has ended already: nothing to close
		}
		return err
	}
	c.closeLocked()
	s.mu.Unlock()
	return nil
}

// Busy reports whether a connection still has messages to send.
func (s *SDK) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if c.qHead < len(c.queue) || c.writing {
			return true
		}
	}
	return false
}

// openConns is the number of connections not yet ended.
func (s *SDK) openConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		if !c.ended {
			n++
		}
	}
	return n
}

// Uninitialize ends every connection at once (a reboot): queued frames are
// dropped (connection_lost) and written ones are decided after LostGrace.
// It waits for the connections' goroutines.
func (s *SDK) Uninitialize() error { return s.shutdown(false) }

// Detach ends every connection at the end of a run: nothing more is
// observed; frames queued or unaccounted stay in flight.
func (s *SDK) Detach() error { return s.shutdown(true) }

func (s *SDK) shutdown(detach bool) error {
	s.mu.Lock()
	if !s.inited {
		s.mu.Unlock()
		return ErrNotInitialized
	}
	s.inited = false
	s.detached = detach
	for _, c := range s.conns {
		c.abortLocked()
	}
	if detach {
		for lc := range s.timers {
			lc.t.Stop()
		}
		clear(s.timers)
	}
	cancel := s.cancel
	s.mu.Unlock()
	cancel()
	s.wg.Wait()
	s.n.flush()
	return nil
}

// errStopped ends connections on Uninitialize or Detach.
var errStopped = errors.New("push: SDK uninitialized")
