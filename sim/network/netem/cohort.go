package netem

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/units"
)

// MaxCohorts is how many cohorts the address plan has room for: each gets
// a /30 of 10.200.0.0/16.
const MaxCohorts = 1 << 14

// Cohort is a group of devices sharing one namespace and one impaired link.
type Cohort struct {
	// Name is a short label ([a-z0-9-], at most 16 characters).
	Name string
	// Index numbers the cohort in the run (0 ≤ Index < MaxCohorts); it
	// picks the interface names and the /30 subnet.
	Index int
	// Profile configures the two qdiscs.
	Profile network.Profile
	// NAT masquerades the namespace's traffic so that it reaches hosts
	// beyond this machine (needs iptables). Without it the namespace
	// reaches the host itself (HostAddr), which is enough for the
	// embedded cloud.
	NAT bool
}

var nameRE = regexp.MustCompile(`^[a-z0-9-]{1,16}$`)

func (c Cohort) check() error {
	if !nameRE.MatchString(c.Name) {
		return fmt.Errorf("netem: cohort name %q: want 1-16 of [a-z0-9-]", c.Name)
	}
	if c.Index < 0 || c.Index >= MaxCohorts {
		return fmt.Errorf("netem: cohort index %d out of [0, %d)", c.Index, MaxCohorts)
	}
	return nil
}

// Namespace is the cohort's network namespace name.
func (c Cohort) Namespace() string { return "fleetsim-" + c.Name }

// HostIf and NSIf are the veth ends (interface names ≤ 15 bytes).
func (c Cohort) HostIf() string { return "fsh" + strconv.Itoa(c.Index) }
func (c Cohort) NSIf() string   { return "fsn" + strconv.Itoa(c.Index) }

// HostAddr and NSAddr are the two ends' addresses in the cohort's /30 of
// 10.200.0.0/16. The embedded cloud listening on all addresses is reachable
// from the namespace at HostAddr.
func (c Cohort) HostAddr() netip.Addr { return c.subnet().Addr().Next() }
func (c Cohort) NSAddr() netip.Addr   { return c.subnet().Addr().Next().Next() }

func (c Cohort) subnet() netip.Prefix {
	base := c.Index * 4
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, byte(base >> 8), byte(base)}), 30)
}

// Setup returns the commands that build the cohort: namespace, veth pair,
// addresses, routes, forwarding and NAT to the outside, and the two netem
// qdiscs.
func Setup(c Cohort) ([]Command, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	up, err := netemArgs(c.Profile.Up)
	if err != nil {
		return nil, fmt.Errorf("netem: up: %w", err)
	}
	down, err := netemArgs(c.Profile.Down)
	if err != nil {
		return nil, fmt.Errorf("netem: down: %w", err)
	}
	ns, h, n := c.Namespace(), c.HostIf(), c.NSIf()
	sub := c.subnet().String()
	cs := []Command{
		cmd("ip", "netns", "add", ns),
		cmd("ip", "link", "add", h, "type", "veth", "peer", "name", n),
		cmd("ip", "link", "set", n, "netns", ns),
		cmd("ip", "addr", "add", c.HostAddr().String()+"/30", "dev", h),
		cmd("ip", "link", "set", h, "up"),
		cmd("ip", "-n", ns, "addr", "add", c.NSAddr().String()+"/30", "dev", n),
		cmd("ip", "-n", ns, "link", "set", "lo", "up"),
		cmd("ip", "-n", ns, "link", "set", n, "up"),
		cmd("ip", "-n", ns, "route", "add", "default", "via", c.HostAddr().String()),
	}
	if c.NAT {
		cs = append(cs,
			cmd("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"),
			cmd("iptables", "-t", "nat", "-A", "POSTROUTING", "-s", sub, "-j", "MASQUERADE"))
	}
	cs = append(cs,
		cmd(append([]string{"tc", "-n", ns, "qdisc", "add", "dev", n, "root", "netem"}, up...)...),
		cmd(append([]string{"tc", "qdisc", "add", "dev", h, "root", "netem"}, down...)...))
	return cs, nil
}

// Teardown removes what Setup made: the veth pair (with both qdiscs; done
// first because a namespace's own interfaces are cleaned up
// asynchronously), the NAT rule and the namespace. Every step may fail
// harmlessly.
func Teardown(c Cohort) []Command {
	var cs []Command
	if c.NAT {
		cs = append(cs, Command{Args: []string{"iptables", "-t", "nat", "-D", "POSTROUTING", "-s", c.subnet().String(), "-j", "MASQUERADE"}, MayFail: true})
	}
	return append(cs,
		Command{Args: []string{"ip", "link", "del", c.HostIf()}, MayFail: true},
		Command{Args: []string{"ip", "netns", "del", c.Namespace()}, MayFail: true})
}

// Update changes both qdiscs to profile p in place (a live profile change).
func Update(c Cohort, p network.Profile) ([]Command, error) {
	up, err := netemArgs(p.Up)
	if err != nil {
		return nil, fmt.Errorf("netem: up: %w", err)
	}
	down, err := netemArgs(p.Down)
	if err != nil {
		return nil, fmt.Errorf("netem: down: %w", err)
	}
	return []Command{
		cmd(append([]string{"tc", "-n", c.Namespace(), "qdisc", "change", "dev", c.NSIf(), "root", "netem"}, up...)...),
		cmd(append([]string{"tc", "qdisc", "change", "dev", c.HostIf(), "root", "netem"}, down...)...),
	}, nil
}

// Outage takes the cohort's link down (every packet lost both ways) or,
// with down false, restores c.Profile.
func Outage(c Cohort, down bool) ([]Command, error) {
	if !down {
		return Update(c, c.Profile)
	}
	p := c.Profile
	for _, d := range []*network.Direction{&p.Up, &p.Down} {
		d.Loss, d.GilbertElliott, d.Markov4 = 1, nil, nil
	}
	return Update(c, p)
}

// netemArgs renders a direction as netem options.
func netemArgs(d network.Direction) ([]string, error) {
	if d.Trace != "" {
		return nil, fmt.Errorf("trace-driven capacity (%s) needs the userland backend: netem has no traces", filepath.Base(d.Trace))
	}
	var a []string
	if d.Queue > 0 {
		a = append(a, "limit", strconv.Itoa(max(1, int(d.Queue)/network.OpportunitySize)))
	}
	if d.Delay > 0 || d.Jitter > 0 {
		a = append(a, "delay", dur(d.Delay.D()))
		if d.Jitter > 0 {
			a = append(a, dur(d.Jitter.D()))
			if d.Correlation > 0 {
				a = append(a, pct(d.Correlation))
			}
			if dist, _ := network.ParseDistribution(string(d.Distribution)); dist != network.Uniform {
				a = append(a, "distribution", string(dist))
			}
		}
	}
	switch {
	case d.GilbertElliott != nil:
		g := d.GilbertElliott
		r, bad := g.R, g.BadLoss
		if r == 0 {
			r = 1 - g.P
		}
		if bad == 0 {
			bad = 1
		}
		a = append(a, "loss", "gemodel", pct(g.P), pct(r), pct(bad), pct(g.GoodLoss))
	case d.Markov4 != nil:
		m := d.Markov4
		p31 := m.P31
		if p31 == 0 {
			p31 = 1 - m.P13
		}
		a = append(a, "loss", "state", pct(m.P13), pct(p31), pct(m.P32), pct(m.P23), pct(m.P14))
	case d.Loss > 0:
		a = append(a, "loss", "random", pct(d.Loss))
	}
	if d.Duplicate > 0 {
		a = append(a, "duplicate", pct(d.Duplicate))
	}
	if d.Corrupt > 0 {
		a = append(a, "corrupt", pct(d.Corrupt))
	}
	if d.Reorder > 0 {
		gap := max(d.ReorderGap, 1)
		a = append(a, "reorder", pct(d.Reorder), "gap", strconv.Itoa(gap))
	}
	if d.Rate > 0 {
		// tc reads "bps" as bytes per second; "bit" is bits per second.
		a = append(a, "rate", strconv.FormatInt(int64(d.Rate), 10)+"bit")
		if d.Overhead > 0 {
			a = append(a, "packetoverhead", strconv.FormatInt(int64(d.Overhead), 10))
		}
	}
	if len(a) == 0 {
		// A qdisc must exist for change/outage to have something to change.
		a = append(a, "delay", "0ms")
	}
	return a, nil
}

func dur(d time.Duration) string {
	if d%time.Millisecond == 0 {
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return strconv.FormatInt(int64(d/time.Microsecond), 10) + "us"
}

func pct(r units.Ratio) string {
	return strconv.FormatFloat(float64(r)*100, 'g', 6, 64) + "%"
}
