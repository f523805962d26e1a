package netem

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/units"
)

var update = flag.Bool("update", false, "rewrite golden files")

// script renders every command set of a cohort, or the error that refuses it.
func script(c Cohort) string {
	var b strings.Builder
	setup, err := Setup(c)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	fmt.Fprintf(&b, "# setup\n%s", Script(setup))
	down, _ := Outage(c, true)
	fmt.Fprintf(&b, "# outage start\n%s", Script(down))
	restore, _ := Outage(c, false)
	fmt.Fprintf(&b, "# outage end\n%s", Script(restore))
	fmt.Fprintf(&b, "# teardown\n%s", Script(Teardown(c)))
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s: generated commands differ from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestShippedProfileCommands(t *testing.T) {
	ps, err := network.LoadProfiles("../../../scenarios/networks")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 {
		t.Fatal("no profiles")
	}
	names := make([]string, 0, len(ps))
	for name := range ps {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		golden(t, name, script(Cohort{Name: name, Index: i, Profile: ps[name], NAT: i%2 == 0}))
	}
}

func TestNetemArgs(t *testing.T) {
	ms := func(n int) units.Duration { return units.Duration(time.Duration(n) * time.Millisecond) }
	cases := []struct {
		name string
		d    network.Direction
		want string
	}{
		{"empty keeps a qdisc", network.Direction{}, "delay 0ms"},
		{"sketch", network.Direction{Rate: 4 * units.Mbps, Delay: ms(20), Jitter: ms(5), Loss: 0.002},
			"delay 20ms 5ms loss random 0.2% rate 4000000bit"},
		{"distribution and correlation", network.Direction{Delay: ms(100), Jitter: ms(10), Correlation: 0.25, Distribution: network.Pareto},
			"delay 100ms 10ms 25% distribution pareto"},
		{"uniform is netem's default", network.Direction{Delay: ms(100), Jitter: ms(10), Distribution: network.Uniform},
			"delay 100ms 10ms"},
		{"microseconds", network.Direction{Delay: units.Duration(1500 * time.Microsecond)}, "delay 1500us"},
		{"gemodel defaults", network.Direction{GilbertElliott: &network.GilbertElliott{P: 0.01}},
			"loss gemodel 1% 99% 100% 0%"},
		{"4-state", network.Direction{Markov4: &network.Markov4{P13: 0.02, P32: 0.1, P23: 0.3, P14: 0.001}},
			"loss state 2% 98% 10% 30% 0.1%"},
		{"datagram impairments", network.Direction{Delay: ms(10), Duplicate: 0.01, Corrupt: 0.001, Reorder: 0.05, ReorderGap: 5},
			"delay 10ms duplicate 1% corrupt 0.1% reorder 5% gap 5"},
		{"queue and overhead", network.Direction{Queue: 64 * units.KiB, Rate: 384 * units.Kbps, Overhead: 40},
			"limit 43 rate 384000bit packetoverhead 40"},
	}
	for _, c := range cases {
		got, err := netemArgs(c.d)
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, strings.Join(got, " "), err, c.want)
		}
	}
	if _, err := netemArgs(network.Direction{Trace: "x.trace"}); err == nil || !strings.Contains(err.Error(), "userland") {
		t.Errorf("trace accepted by netem: %v", err)
	}
}

func TestCohortChecks(t *testing.T) {
	for _, c := range []Cohort{{Name: "Bad Name"}, {Name: "ok", Index: -1}, {Name: "ok", Index: MaxCohorts}} {
		if _, err := Setup(c); err == nil {
			t.Errorf("Setup(%+v) accepted", c)
		}
	}
	c := Cohort{Name: "last", Index: MaxCohorts - 1}
	if c.HostAddr().String() != "10.200.255.253" || c.NSAddr().String() != "10.200.255.254" || len(c.HostIf()) > 15 {
		t.Errorf("address plan at the end: %v %v %s", c.HostAddr(), c.NSAddr(), c.HostIf())
	}
}

// fakeRunner fails commands whose text contains a key of fail.
type fakeRunner struct {
	fail map[string]error
	ran  []string
}

func (f *fakeRunner) Run(_ context.Context, c Command) ([]byte, error) {
	f.ran = append(f.ran, c.String())
	for k, err := range f.fail {
		if strings.Contains(c.String(), k) {
			return nil, err
		}
	}
	return nil, nil
}

func TestFallback(t *testing.T) {
	cases := []struct {
		name     string
		fail     map[string]error
		want     Backend
		msg      string
		cleanups int // ip netns del runs
	}{
		{"all there", nil, Kernel, "available", 1},
		{"no netem", map[string]error{"netem": errors.New("exit status 2: Error: Specified qdisc kind is unknown.")},
			Userland, "no sch_netem", 1},
		{"not root", map[string]error{"netns add": errors.New("exit status 1: mount --make-shared /run/netns failed: Operation not permitted")},
			Userland, "CAP_NET_ADMIN", 0},
		{"no iproute2", map[string]error{"ip netns add": &exec.Error{Name: "ip", Err: exec.ErrNotFound}},
			Userland, "not installed", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &fakeRunner{fail: c.fail}
			got, msg := Choose(context.Background(), r, Kernel)
			if got != c.want || !strings.Contains(msg, c.msg) {
				t.Fatalf("Choose = %s, %q; want %s with %q", got, msg, c.want, c.msg)
			}
			if c.want == Userland && !strings.Contains(msg, "falling back to the userland") {
				t.Errorf("message %q does not say what happens instead", msg)
			}
			dels := 0
			for _, s := range r.ran {
				if strings.HasPrefix(s, "ip netns del") {
					dels++
				}
			}
			if dels != c.cleanups {
				t.Errorf("probe namespace deleted %d times, want %d (ran %q)", dels, c.cleanups, r.ran)
			}
		})
	}
	if b, _ := Choose(context.Background(), &fakeRunner{}, Userland); b != Userland {
		t.Error("userland wanted, kernel chosen")
	}
}

// privileged reports whether this process can make namespaces with ip.
func privileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
}

func TestProbeOnThisMachine(t *testing.T) {
	privileged(t)
	err := Probe(context.Background(), ExecRunner{})
	var pe *ProbeError
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("Probe = %v, want nil or a *ProbeError", err)
	}
	t.Logf("probe: %v", err)
	if _, serr := os.Stat("/var/run/netns/fleetsim-probe-" + fmt.Sprint(os.Getpid())); serr == nil {
		t.Error("probe left its namespace behind")
	}
}

var dialerRuns atomic.Int64

func TestDialerOpensSocketsInsideTheNamespace(t *testing.T) {
	privileged(t)
	run := dialerRuns.Add(1)
	c := Cohort{Name: fmt.Sprintf("t%d-%d", os.Getpid()%100000, run), Index: 9000 + (os.Getpid()*7+int(run))%4000}
	setup, err := Setup(c)
	if err != nil {
		t.Fatal(err)
	}
	var plain []Command // no qdiscs: the namespace plumbing works without netem
	for _, s := range setup {
		if s.Args[0] != "tc" {
			plain = append(plain, s)
		}
	}
	ctx := context.Background()
	t.Cleanup(func() { RunAll(ctx, ExecRunner{}, Teardown(c)) })
	if err := RunAll(ctx, ExecRunner{}, plain); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", c.HostAddr().String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Addr, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- s.RemoteAddr()
		s.Close()
	}()
	conn, err := DialerFor(c).DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	from := <-accepted
	if ta, ok := from.(*net.TCPAddr); !ok || ta.IP.String() != c.NSAddr().String() {
		t.Fatalf("connection came from %v, want the namespace address %v", from, c.NSAddr())
	}
}
