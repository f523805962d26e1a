package liveview

import (
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// Reason tokens of the session observations.
const (
	ReasonStart = "session_start"
	ReasonStop  = "session_stop"
)

// ClockRate is the RTP clock of video.
const ClockRate = 90000

// Config configures a session.
type Config struct {
	Device, Channel int // for observations
	Codec           av.Codec
	// SSRC is the one the relay assigned (httpapi.LiveViewReply.SSRC).
	SSRC uint32
	// PayloadType is the dynamic RTP payload type (96).
	PayloadType uint8
	// MTU bounds RTP packets (1200 bytes).
	MTU int
	// ReportInterval is the RTCP sender report interval (1 s).
	ReportInterval time.Duration
	// Trigger is the session's trigger type (RP8 100–105), put in the
	// start observation's Code.
	Trigger int
}

// Deps are what a session is driven by.
type Deps struct {
	Clock clock.Clock
	Rand  *rand.Rand // initial sequence number and timestamp
	Sink  observe.Sink
	// Conn is a connected datagram socket to the relay (a link's
	// Dial("udp", relay)); the session owns it and closes it on Stop.
	Conn net.Conn
}

// Stats are a session's sender-side numbers.
type Stats struct {
	Frames, Packets, Octets uint64
	SenderReports           uint64
	ReceiverReports         uint64
	// From the last receiver report about this SSRC.
	RTT          time.Duration
	FractionLost uint8
	TotalLost    uint32
	Jitter       time.Duration
	WriteErrors  uint64
}

// Session is one live-view stream.
type Session struct {
	cfg  Config
	deps Deps

	mu        sync.Mutex
	payloader rtp.Payloader
	seq       uint16
	ts0       uint32
	pts0      time.Duration
	havePTS   bool
	lastRTP   uint32
	buf       []byte
	pkt       []byte
	st        Stats
	srTimer   clock.Timer
	stopped   bool
	start     time.Time
	srSent    map[uint32]time.Time // middle 32 bits of an SR's NTP time → when sent

	wg     sync.WaitGroup
	closed atomic.Bool
}

// Start begins a session: it emits the start observation, starts the
// reader of receiver reports and arms the sender reports.
func Start(cfg Config, deps Deps) (*Session, error) {
	if deps.Clock == nil || deps.Sink == nil || deps.Conn == nil || deps.Rand == nil {
		return nil, errors.New("liveview: clock, sink, conn and rand are required")
	}
	if cfg.PayloadType == 0 {
		cfg.PayloadType = 96
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1200
	}
	if cfg.ReportInterval == 0 {
		cfg.ReportInterval = time.Second
	}
	s := &Session{cfg: cfg, deps: deps, srSent: make(map[uint32]time.Time)}
	switch cfg.Codec {
	case av.H264:
		s.payloader = &codecs.H264Payloader{}
	case av.H265:
		s.payloader = &codecs.H265Payloader{}
	default:
		return nil, errors.New("liveview: video codec must be H.264 or H.265")
	}
	s.seq = uint16(deps.Rand.Uint32())
	s.ts0 = deps.Rand.Uint32()
	s.start = deps.Clock.Now()
	deps.Sink.Observe(observe.Observation{At: s.start, Kind: observe.LiveViewReport, Device: cfg.Device,
		Channel: cfg.Channel, Stream: observe.Video, Code: 0, OK: true, Reason: ReasonStart})
	s.mu.Lock()
	s.srTimer = deps.Clock.AfterFunc(cfg.ReportInterval, s.senderReport)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.read() }()
	return s, nil
}

// Frame sends one video access unit (other frames are ignored).
func (s *Session) Frame(f *av.Frame) {
	if !f.Codec.IsVideo() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || f.Codec != s.cfg.Codec {
		return
	}
	if !s.havePTS {
		s.pts0, s.havePTS = f.PTS, true
	}
	ts := s.ts0 + rtpTicks(f.PTS-s.pts0)
	s.lastRTP = ts
	payloads := s.payloads(f)
	for i, p := range payloads {
		h := rtp.Header{Version: 2, Marker: i == len(payloads)-1, PayloadType: s.cfg.PayloadType,
			SequenceNumber: s.seq, Timestamp: ts, SSRC: s.cfg.SSRC}
		s.seq++
		n := h.MarshalSize()
		if cap(s.pkt) < n+len(p) {
			s.pkt = make([]byte, n+len(p), 2*(n+len(p)))
		}
		s.pkt = s.pkt[:n+len(p)]
		if _, err := h.MarshalTo(s.pkt); err != nil {
			s.st.WriteErrors++
			continue
		}
		copy(s.pkt[n:], p)
		if _, err := s.deps.Conn.Write(s.pkt); err != nil {
			s.st.WriteErrors++
			continue
		}
		s.st.Packets++
		s.st.Octets += uint64(len(p))
	}
	s.st.Frames++
}

// payloads packetises an access unit. pion's payloaders drop filler data
// NAL units (H.264 type 12, H.265 type 38), which is where a synthesised
// frame gets its size; so that live view carries the profile's bitrate,
// filler units go out as fragmentation units of their own (FU-A, RFC 6184
// 5.8; FU, RFC 7798 4.4.3) and the rest through pion, in order.
func (s *Session) payloads(f *av.Frame) [][]byte {
	var out [][]byte
	mtu := s.cfg.MTU - 12
	flush := func() {
		if len(s.buf) > 0 {
			out = append(out, s.payloader.Payload(uint16(mtu), s.buf)...)
			s.buf = s.buf[:0]
		}
	}
	s.buf = s.buf[:0]
	for _, n := range f.NALUs {
		if !isFiller(f.Codec, n) {
			s.buf = h264.AppendAnnexB(s.buf, n)
			continue
		}
		flush()
		out = append(out, fragment(f.Codec, n, mtu)...)
	}
	flush()
	return out
}

func isFiller(c av.Codec, n []byte) bool {
	if c == av.H265 {
		return len(n) >= 2 && h265.Type(n) == h265.NALFiller
	}
	return len(n) >= 1 && h264.Type(n) == h264.NALFiller
}

// fragment splits one NAL unit into fragmentation units of at most mtu
// bytes (a unit that fits goes as a single NAL unit packet).
func fragment(c av.Codec, n []byte, mtu int) [][]byte {
	if len(n) <= mtu {
		return [][]byte{append([]byte(nil), n...)}
	}
	hdrLen, fuLen := 1, 2 // H.264: NAL header; FU indicator + FU header
	if c == av.H265 {
		hdrLen, fuLen = 2, 3 // H.265: 2-byte NAL header; PayloadHdr + FU header
	}
	body := n[hdrLen:]
	max := mtu - fuLen
	var out [][]byte
	for off := 0; off < len(body); off += max {
		end := min(off+max, len(body))
		p := make([]byte, 0, fuLen+end-off)
		if c == av.H265 {
			typ := (n[0] >> 1) & 0x3f
			fu := typ
			if off == 0 {
				fu |= 0x80
			}
			if end == len(body) {
				fu |= 0x40
			}
			p = append(p, n[0]&0x81|49<<1, n[1], fu)
		} else {
			typ := n[0] & 0x1f
			fu := typ
			if off == 0 {
				fu |= 0x80
			}
			if end == len(body) {
				fu |= 0x40
			}
			p = append(p, n[0]&0xe0|28, fu)
		}
		out = append(out, append(p, body[off:end]...))
	}
	return out
}

// rtpTicks converts a media time to 90 kHz ticks, rounded (frame times
// are whole nanoseconds below the exact 1/fps).
func rtpTicks(d time.Duration) uint32 {
	return uint32((d*ClockRate + time.Second/2) / time.Second)
}

// ntp converts a time to the 64-bit NTP format.
func ntp(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// senderReport sends an RTCP SR and re-arms itself (clock callback; a
// datagram write does not block).
func (s *Session) senderReport() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	now := s.deps.Clock.Now()
	n := ntp(now)
	rtpNow := s.lastRTP
	if s.havePTS {
		rtpNow = s.ts0 + rtpTicks(now.Sub(s.start))
	}
	sr := rtcp.SenderReport{SSRC: s.cfg.SSRC, NTPTime: n, RTPTime: rtpNow,
		PacketCount: uint32(s.st.Packets), OctetCount: uint32(s.st.Octets)}
	if b, err := sr.Marshal(); err == nil {
		if _, err := s.deps.Conn.Write(b); err == nil {
			s.st.SenderReports++
			s.srSent[uint32(n>>16)] = now
			if len(s.srSent) > 16 { // keep the recent ones
				for k, v := range s.srSent {
					if now.Sub(v) > 16*s.cfg.ReportInterval {
						delete(s.srSent, k)
					}
				}
			}
		} else {
			s.st.WriteErrors++
		}
	}
	s.srTimer = s.deps.Clock.AfterFunc(s.cfg.ReportInterval, s.senderReport)
}

// read takes the relay's receiver reports until the socket closes.
func (s *Session) read() {
	buf := make([]byte, 1500)
	for {
		n, err := s.deps.Conn.Read(buf)
		if err != nil {
			if s.closed.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// ICMP unreachable and the like on a connected UDP socket:
			// the relay is not there yet; keep reading until Stop
			if !errors.Is(err, net.ErrClosed) {
				continue
			}
			return
		}
		s.handleRTCP(buf[:n], s.deps.Clock.Now())
	}
}

// handleRTCP takes one datagram from the relay: receiver reports about
// this session's SSRC update its numbers; anything else is ignored. It is
// outside input: malformed datagrams are dropped, never trusted.
func (s *Session) handleRTCP(b []byte, now time.Time) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	for _, p := range pkts {
		rr, ok := p.(*rtcp.ReceiverReport)
		if !ok {
			continue
		}
		for _, rep := range rr.Reports {
			if rep.SSRC == s.cfg.SSRC {
				s.receiverReport(rep, now)
			}
		}
	}
}

func (s *Session) receiverReport(rep rtcp.ReceptionReport, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.ReceiverReports++
	s.st.FractionLost, s.st.TotalLost = rep.FractionLost, rep.TotalLost
	s.st.Jitter = time.Duration(rep.Jitter) * time.Second / ClockRate
	if rep.LastSenderReport == 0 {
		return
	}
	if sent, ok := s.srSent[rep.LastSenderReport]; ok {
		dlsr := time.Duration(rep.Delay) * time.Second / 65536
		if rtt := now.Sub(sent) - dlsr; rtt >= 0 {
			s.st.RTT = rtt
		}
	}
}

// Stats returns the session's numbers so far.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Stop ends the session: the stop observation, the socket closed, the
// reader ended.
func (s *Session) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	if s.srTimer != nil {
		s.srTimer.Stop()
	}
	s.mu.Unlock()
	s.closed.Store(true)
	s.deps.Conn.Close()
	s.wg.Wait()
	s.deps.Sink.Observe(observe.Observation{At: s.deps.Clock.Now(), Kind: observe.LiveViewReport, Device: s.cfg.Device,
		Channel: s.cfg.Channel, Stream: observe.Video, OK: true, Reason: ReasonStop})
}
