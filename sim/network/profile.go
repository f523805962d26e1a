package network

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// Profile configures one device's link: both directions plus the behaviour
// of connections (handshake, DNS, resets), outages and the TCP model.
// Scenario files embed it under `networks:`; the zero value is a perfect
// link (no delay, no loss, unlimited rate, no outages).
//
//	home-wifi: {up: {rate: 4mbit, delay: 20ms, jitter: 5ms, loss: 0.2%}}
type Profile struct {
	// Up is the device → cloud direction (media, uploads, TCP data segments).
	Up Direction `yaml:"up,omitempty"`
	// Down is the cloud → device direction (replies, acknowledgements).
	Down Direction `yaml:"down,omitempty"`
	// Connect models connection establishment and connection-level faults.
	Connect Connect `yaml:"connect,omitempty"`
	// Outages are periods when the link carries nothing in either direction.
	Outages Outages `yaml:"outages,omitempty"`
	// TCP tunes the model that turns loss into retransmission delay.
	TCP TCP `yaml:"tcp,omitempty"`
}

// Direction configures the impairments of one direction. Stages apply in the
// order netem applies them: outage, loss, corruption, duplication, queue and
// capacity (rate or trace), delay with jitter, reordering.
type Direction struct {
	// Rate is the capacity as a token bucket; 0 means unlimited.
	Rate units.Bitrate `yaml:"rate,omitempty"`
	// Burst is the token-bucket depth; 0 means one MTU (1500 B) or 2 ms at
	// Rate, whichever is larger.
	Burst units.ByteSize `yaml:"burst,omitempty"`
	// Overhead is added to every packet's size when charging the rate or
	// trace (link-layer framing, e.g. 38 B Ethernet, 48 B PPPoE over ATM).
	Overhead units.ByteSize `yaml:"overhead,omitempty"`
	// Queue is the bottleneck buffer; datagrams arriving when the backlog
	// would exceed it are tail-dropped. 0 means unlimited. TCP never
	// overflows it: its send buffer blocks the writer instead.
	Queue units.ByteSize `yaml:"queue,omitempty"`
	// Trace is the path of a Mahimahi delivery-opportunity trace (one line
	// per 1500-byte opportunity, millisecond timestamps, wrapping). When set
	// it is the capacity and Rate only caps it further. Relative paths are
	// resolved by the TraceLoader (normally against the scenario file).
	Trace string `yaml:"trace,omitempty"`

	// Delay is the fixed one-way propagation delay (netem "delay").
	Delay units.Duration `yaml:"delay,omitempty"`
	// Jitter is the spread of the delay (netem's sigma): for uniform the
	// delay lies in Delay±Jitter, for the others it is the standard deviation.
	Jitter units.Duration `yaml:"jitter,omitempty"`
	// Distribution of the jitter: uniform (netem's default), normal, pareto
	// or paretonormal.
	Distribution Distribution `yaml:"distribution,omitempty"`
	// Correlation of successive delays, netem style: each uniform draw is
	// (1-c)·fresh + c·previous.
	Correlation units.Ratio `yaml:"correlation,omitempty"`

	// Loss is the independent (Bernoulli) loss probability per packet.
	Loss units.Ratio `yaml:"loss,omitempty"`
	// GilbertElliott, when set, replaces Loss with netem's "loss gemodel".
	GilbertElliott *GilbertElliott `yaml:"gilbert_elliott,omitempty"`
	// Markov4, when set, replaces Loss with netem's "loss state" 4-state model.
	Markov4 *Markov4 `yaml:"markov4,omitempty"`

	// Duplicate is the probability that a datagram arrives twice.
	Duplicate units.Ratio `yaml:"duplicate,omitempty"`
	// Corrupt is the probability that one random bit of a datagram is
	// flipped. On TCP a corrupted segment fails its checksum: it is a loss.
	Corrupt units.Ratio `yaml:"corrupt,omitempty"`
	// Reorder is the probability that a datagram skips the delay and so
	// overtakes those before it (netem "reorder"; needs Delay > 0).
	Reorder units.Ratio `yaml:"reorder,omitempty"`
	// ReorderGap: only every ReorderGap-th datagram may be reordered
	// (netem "gap"); 0 means 1.
	ReorderGap int `yaml:"reorder_gap,omitempty"`
}

// GilbertElliott is netem's "loss gemodel p r 1-h 1-k": a two-state Markov
// chain decided per packet. The chain moves Good→Bad with probability P and
// Bad→Good with probability R; a packet is lost with probability BadLoss in
// the Bad state and GoodLoss in the Good state (the state before the move).
// With BadLoss=1 and GoodLoss=0 (the simple Gilbert model) the loss rate is
// P/(P+R) and loss bursts last 1/R packets on average.
type GilbertElliott struct {
	P units.Ratio `yaml:"p"`
	// R defaults to 1-P when zero (netem's default).
	R units.Ratio `yaml:"r,omitempty"`
	// BadLoss is netem's 1-h; zero means 1 (every packet in Bad is lost).
	BadLoss units.Ratio `yaml:"bad_loss,omitempty"`
	// GoodLoss is netem's 1-k; zero means no loss in Good.
	GoodLoss units.Ratio `yaml:"good_loss,omitempty"`
}

// Markov4 is netem's "loss state p13 p31 p32 p23 p14" (Salsano et al.,
// "netem CLG"). States: 1 packet received in a gap, 2 received inside a
// burst, 3 lost inside a burst, 4 an isolated loss in a gap. A packet is lost
// when the chain enters state 3 or 4. Zero P31 means 1-P13, as in tc.
type Markov4 struct {
	P13 units.Ratio `yaml:"p13"`
	P31 units.Ratio `yaml:"p31,omitempty"`
	P32 units.Ratio `yaml:"p32,omitempty"`
	P23 units.Ratio `yaml:"p23,omitempty"`
	P14 units.Ratio `yaml:"p14,omitempty"`
}

// Connect models connection establishment and connection-level faults.
type Connect struct {
	// DNSDelay is the time a name resolution takes before the handshake.
	DNSDelay units.Duration `yaml:"dns_delay,omitempty"`
	// DNSFailure is the probability that a dial fails name resolution.
	DNSFailure units.Ratio `yaml:"dns_failure,omitempty"`
	// Refuse is the probability that a dial is refused (RST to the SYN).
	Refuse units.Ratio `yaml:"refuse,omitempty"`
	// Timeout bounds a dial that meets an outage: SYNs are retried at 1 s,
	// 2 s, 4 s … until the outage ends or Timeout passes. 0 means 20 s.
	Timeout units.Duration `yaml:"timeout,omitempty"`
	// Resets is the rate of spontaneous connection resets per open
	// connection (e.g. "2/h": NAT rebinding, access-point roaming).
	Resets units.Frequency `yaml:"resets,omitempty"`
}

// Outages are periods when the link carries nothing. Datagrams sent during
// one are lost; TCP segments are retransmitted (RTO backoff) until it ends;
// dials retry their SYN.
type Outages struct {
	// Scheduled outages, relative to the link's creation.
	Scheduled []Window `yaml:"scheduled,omitempty"`
	// MTBF and MTTR make random flaps: up periods are exponential with mean
	// MTBF, down periods exponential with mean MTTR. Both or neither.
	MTBF units.Duration `yaml:"mtbf,omitempty"`
	MTTR units.Duration `yaml:"mttr,omitempty"`
}

// Window is one scheduled outage.
type Window struct {
	At  units.Duration `yaml:"at"`  // start, from the link's creation
	For units.Duration `yaml:"for"` // length
}

// TCP tunes the TCP stream model.
type TCP struct {
	// MSS is the segment size; 0 means 1460 B.
	MSS units.ByteSize `yaml:"mss,omitempty"`
	// SendBuffer is the emulated socket send buffer: Write blocks while
	// this many bytes are queued and not yet delivered. 0 means 64 KiB.
	SendBuffer units.ByteSize `yaml:"send_buffer,omitempty"`
	// MinRTO is the retransmission-timeout floor; 0 means 200 ms.
	MinRTO units.Duration `yaml:"min_rto,omitempty"`
	// StallLimit: a segment that cannot be delivered for this long ends the
	// connection with a reset both ends see. 0 means 60 s.
	StallLimit units.Duration `yaml:"stall_limit,omitempty"`
	// NoGoodputCap disables the Mathis/Padhye goodput cap.
	NoGoodputCap bool `yaml:"no_goodput_cap,omitempty"`
}

// Change is a timeline action on the links of a group: an outage starting
// now, and/or a switch to another named profile (resolved by the scenario
// loader, which calls Link.SetProfile).
type Change struct {
	// Outage, when non-zero, takes the link down for this long from now.
	Outage units.Duration `yaml:"outage,omitempty"`
	// Profile names the profile (a key of `networks:`) to switch to.
	Profile string `yaml:"profile,omitempty"`
}

// maxScheduledOutages bounds a profile's scheduled outage list.
const maxScheduledOutages = 10000

// Validate reports every problem of the profile at once (joined errors,
// each naming its field path).
func (p *Profile) Validate() error {
	var errs []error
	add := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	p.Up.validate("up", add)
	p.Down.validate("down", add)
	if p.Connect.DNSDelay < 0 || p.Connect.Timeout < 0 {
		add("connect", "durations must not be negative")
	}
	if p.Connect.Resets < 0 {
		add("connect.resets", "must not be negative")
	}
	if (p.Outages.MTBF > 0) != (p.Outages.MTTR > 0) {
		add("outages", "mtbf and mttr go together (both or neither)")
	}
	if p.Outages.MTBF < 0 || p.Outages.MTTR < 0 {
		add("outages", "mtbf and mttr must not be negative")
	}
	if (p.Outages.MTBF > 0 && p.Outages.MTBF.D() < time.Second) || (p.Outages.MTTR > 0 && p.Outages.MTTR.D() < time.Millisecond) {
		add("outages", "mtbf must be at least 1s and mttr at least 1ms")
	}
	if len(p.Outages.Scheduled) > maxScheduledOutages {
		add("outages.scheduled", "more than %d windows", maxScheduledOutages)
	}
	for i, w := range p.Outages.Scheduled {
		if w.At < 0 || w.For <= 0 {
			add(fmt.Sprintf("outages.scheduled[%d]", i), "at must be ≥ 0 and for > 0")
		}
	}
	if p.TCP.MSS < 0 || (p.TCP.MSS > 0 && (p.TCP.MSS < 88 || p.TCP.MSS > 65495)) {
		add("tcp.mss", "must be between 88 B and 65495 B")
	}
	if p.TCP.SendBuffer < 0 || p.TCP.MinRTO < 0 || p.TCP.StallLimit < 0 {
		add("tcp", "sizes and durations must not be negative")
	}
	return errors.Join(errs...)
}

func (d *Direction) validate(name string, add func(field, format string, a ...any)) {
	if d.Rate < 0 || d.Burst < 0 || d.Overhead < 0 || d.Queue < 0 {
		add(name, "rate, burst, overhead and queue must not be negative")
	}
	if d.Delay < 0 || d.Jitter < 0 {
		add(name, "delay and jitter must not be negative")
	}
	if _, err := ParseDistribution(string(d.Distribution)); err != nil {
		add(name+".distribution", "%v", err)
	}
	if d.Reorder > 0 && d.Delay == 0 {
		add(name+".reorder", "needs a delay (a reordered packet is one that skips it)")
	}
	if d.ReorderGap < 0 {
		add(name+".reorder_gap", "must not be negative")
	}
	models := 0
	if d.Loss > 0 {
		models++
	}
	if d.GilbertElliott != nil {
		models++
	}
	if d.Markov4 != nil {
		models++
	}
	if models > 1 {
		add(name, "loss, gilbert_elliott and markov4 are alternatives: give one")
	}
}
