package network

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// Options configure a Link.
type Options struct {
	// Clock drives every decision and delay. Required.
	Clock clock.Clock
	// Seed is the run seed; Device names the device. Together with the
	// direction and the stage they seed every random stream of the link.
	Seed   uint64
	Device string
	// Profile is the link's initial configuration.
	Profile Profile
	// Dial opens the real connection under the link; nil means a
	// net.Dialer. ListenPacket likewise for datagram sockets.
	Dial         func(ctx context.Context, network, address string) (net.Conn, error)
	ListenPacket func(ctx context.Context, network, address string) (net.PacketConn, error)
	// Traces loads the profile's trace files; nil means TraceCache("").
	Traces TraceLoader
	// Quantum is the granularity of writes to real sockets: data due at t
	// is written at t rounded up to a multiple of Quantum, so that a busy
	// link costs at most one timer per Quantum. 0 means 1 ms; a negative
	// value means exact times.
	Quantum time.Duration
}

// DefaultQuantum is the write granularity when Options.Quantum is 0.
const DefaultQuantum = time.Millisecond

// Link is one device's impaired link to the cloud, both directions. It is
// safe for concurrent use; all its connections share its capacity, queue,
// loss processes and outages.
type Link struct {
	clk     clock.Clock
	seed    uint64
	device  string
	dial    func(ctx context.Context, network, address string) (net.Conn, error)
	listen  func(ctx context.Context, network, address string) (net.PacketConn, error)
	traces  TraceLoader
	quantum time.Duration
	start   time.Time
	phase   int64 // start's offset into the quantum grid, in ns
	// wall: start has no monotonic reading (a Fake clock), so neither do
	// the link's times: ns subtracts Unix nanoseconds (time.Time.Sub's
	// wall path checks for overflow at twice the cost).
	wall    bool
	startNs int64

	mu       sync.Mutex
	profile  Profile
	gen      uint64
	upR      *dirRand
	downR    *dirRand
	connR    *rand.Rand // dial and reset decisions
	sched    *outageSchedule
	up, down *path
	tp       tcpParams
	stats    Stats
	conns    map[closer]struct{}
	closed   bool
}

type closer interface{ abort() }

// New makes a link. The profile must be valid; its traces are loaded now.
func New(o Options) (*Link, error) {
	if o.Clock == nil {
		return nil, fmt.Errorf("network: a link needs a clock")
	}
	l := &Link{
		clk: o.Clock, seed: o.Seed, device: o.Device,
		dial: o.Dial, listen: o.ListenPacket, traces: o.Traces,
		quantum: o.Quantum,
		upR:     newDirRand(o.Seed, o.Device, "up"),
		downR:   newDirRand(o.Seed, o.Device, "down"),
		connR:   rng.New(o.Seed, o.Device, "connect"),
		conns:   map[closer]struct{}{},
	}
	if l.dial == nil {
		var d net.Dialer
		l.dial = d.DialContext
	}
	if l.listen == nil {
		var lc net.ListenConfig
		l.listen = lc.ListenPacket
	}
	if l.traces == nil {
		l.traces = TraceCache("")
	}
	if l.quantum == 0 {
		l.quantum = DefaultQuantum
	}
	l.start = l.clk.Now()
	l.wall, l.startNs = l.start == l.start.Round(0), l.start.UnixNano()
	if l.quantum > 0 {
		l.phase = int64(l.start.Sub(l.start.Truncate(l.quantum)))
	}
	l.sched = newOutageSchedule(l.start, Outages{}, rng.New(o.Seed, o.Device, "flaps"))
	if err := l.SetProfile(o.Profile); err != nil {
		return nil, err
	}
	return l, nil
}

// SetProfile switches the link to p from now on (a live profile change).
// Connections stay open; bytes already queued keep their schedule and the
// backlog at the bottleneck carries over; random streams continue.
// Scheduled outages of p count from now.
func (l *Link) SetProfile(p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var upT, downT *Trace
	var err error
	if p.Up.Trace != "" {
		if upT, err = l.traces(p.Up.Trace); err != nil {
			return fmt.Errorf("up.trace: %w", err)
		}
	}
	if p.Down.Trace != "" {
		if downT, err = l.traces(p.Down.Trace); err != nil {
			return fmt.Errorf("down.trace: %w", err)
		}
	}
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sched.configure(now, p.Outages)
	l.up = buildPath(p.Up, l.upR, l.sched, l.start, now, upT, l.up)
	l.down = buildPath(p.Down, l.downR, l.sched, l.start, now, downT, l.down)
	l.tp = newTCPParams(p, l.up.lossRate(), l.down.lossRate())
	l.profile = p
	l.gen++
	return nil
}

// Profile is the link's current profile.
func (l *Link) Profile() Profile {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.profile
}

// Outage takes the link down for d from now (a timeline outage).
func (l *Link) Outage(d time.Duration) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sched.prune(now)
	l.sched.add(now, d)
}

// Down reports whether the link is down now and until when.
func (l *Link) Down() (bool, time.Time) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sched.downUntil(now)
}

// Stats returns a snapshot of the link's counters.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Up, s.Down = l.up.stats, l.down.stats
	return s
}

// Close closes every connection of the link at once, discarding what
// they still had queued. Later dials fail.
func (l *Link) Close() error {
	l.mu.Lock()
	l.closed = true
	cs := make([]closer, 0, len(l.conns))
	for c := range l.conns {
		cs = append(cs, c)
	}
	l.conns = map[closer]struct{}{}
	l.mu.Unlock()
	for _, c := range cs {
		c.abort()
	}
	return nil
}

func (l *Link) track(c closer) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *Link) untrack(c closer) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// ns is t as link nanoseconds: the time since the link was made (on the
// monotonic clock when both carry it). Connections keep their queues in
// them.
func (l *Link) ns(t time.Time) int64 {
	if l.wall {
		return t.UnixNano() - l.startNs
	}
	return int64(t.Sub(l.start))
}

// at is the time of link nanoseconds ns.
func (l *Link) at(ns int64) time.Time { return l.start.Add(time.Duration(ns)) }

// flushNs is flushAt in link nanoseconds.
func (l *Link) flushNs(due int64) int64 {
	if l.quantum <= 0 {
		return due
	}
	q := int64(l.quantum)
	r := (l.phase + due) % q
	if r < 0 {
		r += q
	}
	if r == 0 {
		return due
	}
	return due + q - r
}

// flushAt rounds a due time up to the link's quantum.
func (l *Link) flushAt(due time.Time) time.Time {
	if l.quantum <= 0 {
		return due
	}
	t := due.Truncate(l.quantum)
	if t.Before(due) {
		t = t.Add(l.quantum)
	}
	return t
}

// refreshCap rebuilds a flow's goodput cap after a profile change. l.mu held.
func (l *Link) refreshCap(fl *flow, rate float64) {
	if fl.gen == l.gen {
		return
	}
	fl.gen = l.gen
	if rate <= 0 {
		fl.cap = nil
		return
	}
	// The initial window (10 segments, RFC 6928) is the burst.
	fl.cap = NewTokenBucket(rate, 10*(l.tp.mss+tcpHeader), 0)
}

// Apply performs a timeline change: a switch to the named profile (looked
// up with profiles), then an outage starting now. An unknown name is an
// error and changes nothing.
func (l *Link) Apply(c Change, profiles func(name string) (Profile, bool)) error {
	if c.Profile != "" {
		p, ok := profiles(c.Profile)
		if !ok {
			return fmt.Errorf("network: unknown profile %q", c.Profile)
		}
		if err := l.SetProfile(p); err != nil {
			return fmt.Errorf("network: profile %q: %w", c.Profile, err)
		}
	}
	if c.Outage > 0 {
		l.Outage(c.Outage.D())
	}
	return nil
}
