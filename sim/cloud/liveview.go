package cloud

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// relay is the live-view RTP receiver (§2.3): devices send RTP (and RTCP,
// multiplexed on the same port per RFC 5761) to it; it measures reception
// per session and answers with RTCP receiver reports.
type relay struct {
	conn  *net.UDPConn
	clk   clock.Clock
	sink  observe.Sink
	cfg   *Config
	stats *counters
	start time.Time

	mu       sync.Mutex
	rnd      *rand.Rand
	sessions map[uint32]*lvSession

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// lvSession is one live-view stream.
type lvSession struct {
	device  string
	index   int
	channel int
	st      *rtpStats
	src     *net.UDPAddr // where its packets come from (RR go back there)
	last    time.Time    // last packet
	lsr     uint32       // middle 32 bits of the last SR's NTP time
	lsrAt   time.Time
	reports uint64
}

// ReportInterval is how often the relay sends receiver reports and emits
// LiveViewReport observations.
const ReportInterval = time.Second

// maxSessions bounds the live-view sessions held at once.
const maxSessions = 65536

func startRelay(ctx context.Context, addr string, clk clock.Clock, sink observe.Sink, cfg *Config, st *counters) (*relay, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &relay{conn: conn, clk: clk, sink: sink, cfg: cfg, stats: st, start: clk.Now(),
		rnd: rng.New(cfg.Seed, "cloud", "ssrc"), sessions: make(map[uint32]*lvSession), cancel: cancel}
	r.wg.Add(2)
	go func() { defer r.wg.Done(); r.read() }()
	go func() { defer r.wg.Done(); r.report(ctx) }()
	go func() { <-ctx.Done(); conn.Close() }()
	return r, nil
}

func (r *relay) addr() string { return r.conn.LocalAddr().String() }

func (r *relay) close() {
	r.cancel()
	r.conn.Close()
	r.wg.Wait()
}

// open starts a session for a device channel and returns its SSRC.
func (r *relay) open(device string, index, channel int) uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, s := range r.sessions { // a device channel has one session
		if s.device == device && s.channel == channel {
			delete(r.sessions, k)
		}
	}
	if len(r.sessions) >= maxSessions {
		var oldest uint32
		var t time.Time
		for k, s := range r.sessions {
			if t.IsZero() || s.last.Before(t) {
				oldest, t = k, s.last
			}
		}
		delete(r.sessions, oldest)
	}
	var ssrc uint32
	for ssrc == 0 || r.sessions[ssrc] != nil {
		ssrc = r.rnd.Uint32()
	}
	r.sessions[ssrc] = &lvSession{device: device, index: index, channel: channel,
		st: newRTPStats(90000), last: r.clk.Now()}
	return ssrc
}

func (r *relay) read() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, src, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		b := buf[:n]
		if n >= 2 && b[1] >= 192 && b[1] <= 223 { // RTCP packet types 192–223 (RFC 5761)
			r.rtcp(b)
			continue
		}
		if err := pkt.Unmarshal(b); err != nil {
			r.stats.liveViewMalformed.Add(1)
			continue
		}
		now := r.clk.Now()
		r.mu.Lock()
		s := r.sessions[pkt.SSRC]
		if s == nil {
			r.mu.Unlock()
			r.stats.liveViewMalformed.Add(1)
			continue
		}
		s.src, s.last = src, now
		c0, i0, r0 := s.st.complete, s.st.incomplete, s.st.reordered
		s.st.add(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, now.Sub(r.start))
		r.stats.liveViewFrames.Add(int64(s.st.complete - c0))
		r.stats.liveViewIncomplete.Add(int64(s.st.incomplete - i0))
		r.stats.liveViewReordered.Add(int64(s.st.reordered - r0))
		r.mu.Unlock()
		r.stats.liveViewPackets.Add(1)
	}
}

// rtcp takes sender reports (for LSR/DLSR in our receiver reports).
func (r *relay) rtcp(b []byte) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		r.stats.liveViewMalformed.Add(1)
		return
	}
	now := r.clk.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			if s := r.sessions[sr.SSRC]; s != nil {
				s.lsr = uint32(sr.NTPTime >> 16)
				s.lsrAt = now
			}
		}
	}
}

// report sends receiver reports and emits observations every interval.
func (r *relay) report(ctx context.Context) {
	t := r.clk.NewTicker(ReportInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		r.reportOnce()
	}
}

func (r *relay) reportOnce() {
	now := r.clk.Now()
	type out struct {
		to  *net.UDPAddr
		pkt []byte
	}
	var sends []out
	r.mu.Lock()
	for ssrc, s := range r.sessions {
		if now.Sub(s.last) > r.cfg.IdleTimeout {
			s.st.judgeFrames(true)
			delete(r.sessions, ssrc)
			continue
		}
		if !s.st.started {
			continue
		}
		exp, rec, frac := s.st.interval()
		if exp == 0 && rec == 0 {
			continue
		}
		lostNow := uint64(0)
		if exp > rec {
			lostNow = exp - rec
		}
		r.stats.liveViewLost.Add(int64(lostNow))
		s.reports++
		r.sink.Observe(observe.Observation{At: now, Kind: observe.LiveViewReport, Device: s.index,
			Channel: s.channel, Stream: observe.Video, Seq: s.reports, Value: s.st.jitterDuration(),
			Size: int64(rec), Code: int(lostNow), OK: lostNow == 0})
		var dlsr uint32
		if !s.lsrAt.IsZero() {
			dlsr = uint32(now.Sub(s.lsrAt).Seconds() * 65536)
		}
		lost := s.st.lost()
		if lost > 0x7fffff {
			lost = 0x7fffff
		}
		rr := rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{
			SSRC: ssrc, FractionLost: frac, TotalLost: uint32(lost),
			LastSequenceNumber: uint32(s.st.highest()), Jitter: uint32(s.st.jitter),
			LastSenderReport: s.lsr, Delay: dlsr,
		}}}
		if b, err := rr.Marshal(); err == nil && s.src != nil {
			sends = append(sends, out{s.src, b})
		}
	}
	r.mu.Unlock()
	for _, o := range sends {
		_, _ = r.conn.WriteToUDP(o.pkt, o.to)
	}
}
