// Package runner runs a scenario: it builds the deterministic fleet plan,
// starts the embedded mock cloud (or points at an external target), ramps
// the devices up over their impaired links, plays the timeline, streams
// observations to results.jsonl through the report accumulator, stops at the
// duration or on interrupt (gracefully, then at once on a second one), and
// writes the report files.
package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/report"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/device"
	"github.com/fleetsim/fleetsim/sim/device/cstorage"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/network/memnet"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// Options configure one run.
type Options struct {
	Scenario *scenarios.Scenario
	// Shard selects the devices this process runs (zero value: all).
	Shard scenarios.Shard
	// OutDir receives results.jsonl and the report files.
	OutDir string
	// Out receives the plan line, progress and the summary.
	Out io.Writer
	// Progress: "auto" (bars on a terminal, lines otherwise), "bars",
	// "lines" or "off".
	Progress string
	// ProgressEvery is the period of progress lines (default 5 s).
	ProgressEvery time.Duration
	// Interrupts delivers SIGINT/SIGTERM: the first stops gracefully, the
	// second at once.
	Interrupts <-chan os.Signal
	// Grace is how long in-flight uploads may finish after the stop
	// (default 10 s).
	Grace time.Duration
	// MetricsAddr, when set, serves Prometheus /metrics while the run lasts.
	MetricsAddr string
	// Window is the report's timeline resolution (default 10 s); abort-on-
	// fail thresholds are checked as windows close.
	Window time.Duration
	// Clock drives the run (default a clock.Batched wall clock, closed when
	// Run returns).
	Clock clock.Clock
	// ClockShards is the number of workers of the default clock (0:
	// GOMAXPROCS when the run starts). A run whose GOMAXPROCS is raised
	// while it runs (sim/procs) passes the most it will use.
	ClockShards int
	// ProcsPeak, when set, tells the most cores (GOMAXPROCS) the run used
	// for the report's generator.procs (default: GOMAXPROCS at the end).
	ProcsPeak func() int
	// Getenv reads environment variables (auth keys).
	Getenv func(string) string
	// Sink, when set, receives every observation too (after the report's
	// accumulator).
	Sink observe.Sink
	// Transport carries the bytes between the devices and the embedded
	// cloud: TransportMemory (default) or TransportTCP. External targets
	// always use real sockets.
	Transport string
	// LinkQuantum is how finely the devices' links write to the transport:
	// bytes due at t are handed over at t rounded up to a multiple of it,
	// so that a busy link costs one timer per quantum instead of one per
	// segment (network.Options.Quantum). Arrival times, and so latencies
	// over a link, are late by less than one quantum (half of it on
	// average). 0 means DefaultLinkQuantum; a negative value means exact
	// times.
	LinkQuantum time.Duration
}

// DefaultLinkQuantum is the link write granularity of a run (Options
// LinkQuantum 0): at 5,000 cameras a 1 ms quantum costs about a fifth more
// CPU for a latency error below 5 ms, small against the delays of the
// links it serves (tens of milliseconds).
const DefaultLinkQuantum = 5 * time.Millisecond

// linkQuantum is the network.Options.Quantum of the run's links.
func (o *Options) linkQuantum() time.Duration {
	switch {
	case o.LinkQuantum == 0:
		return DefaultLinkQuantum
	case o.LinkQuantum < 0:
		return -1
	}
	return o.LinkQuantum
}

// Result is what a run produced.
type Result struct {
	Report      *report.Report
	Interrupted bool
	OutDir      string
}

// Run runs the scenario to its end.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Clock == nil {
		// A fleet arms ~31 frame timers per camera-second plus link
		// flushes: the batched clock runs them from a few workers instead
		// of a runtime timer and a new goroutine per fire (sim/clock).
		b := clock.NewBatched(clock.BatchedConfig{Shards: o.ClockShards})
		defer b.Close()
		o.Clock = b
	}
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	return r.run(ctx)
}

type run struct {
	o    Options
	sc   *scenarios.Scenario
	clk  clock.Clock
	plan *scenarios.FleetPlan
	devs []scenarios.Device // this shard's

	acc     *report.Accumulator
	sink    observe.Sink // the accumulator, tee'd with Options.Sink
	results *bufio.Writer
	resFile *os.File
	cloud   *cloud.Cloud // nil when an external target needs none
	// mem is the in-memory network the embedded cloud listens on (nil on
	// real sockets); dial is the devices' dial to it (nil: net.Dialer).
	mem  *memnet.Network
	dial func(ctx context.Context, network, address string) (net.Conn, error)

	planOnce sync.Once // the HTTP target's refusal of plans, said once

	// external RTMP target: the devices played back and their probes
	probeSet     map[int]bool
	probes       map[int]*cloud.Probe
	probeCtx     context.Context
	cancelProbes context.CancelFunc

	media    map[string]*source.Shared // by profile name
	packs    *av.PackedPool            // the fleet's recorded slices' frame blocks
	bodies   *cstorage.BodyPool        // and their muxed bodies
	networks map[string]network.Profile
	traces   network.TraceLoader // one cache for the run: a trace is parsed once

	mu      sync.Mutex
	running map[int]*deviceRun // by fleet index
	abortOn map[string]bool    // canonical names of abort-on-fail thresholds
	timers  []clock.Timer
	stopped bool
}

// deviceRun is one started device and what it runs on.
type deviceRun struct {
	spec   *scenarios.Device
	dev    *device.Device
	link   *network.Link
	client *httpapi.Client
}

func newRun(o Options) (*run, error) {
	if o.Scenario == nil {
		return nil, errors.New("runner: no scenario")
	}
	if o.Shard.N == 0 {
		o.Shard = scenarios.Shard{I: 0, N: 1}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Clock == nil {
		o.Clock = clock.NewReal()
	}
	if o.Grace == 0 {
		o.Grace = 10 * time.Second
	}
	if o.ProgressEvery == 0 {
		o.ProgressEvery = 5 * time.Second
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join("out", sanitize(o.Scenario.Name)+"-"+time.Now().UTC().Format("20060102-150405"))
	}
	sc := o.Scenario
	if err := checkTransport(o.Transport); err != nil {
		return nil, err
	}
	if err := checkExternal(sc, o.Getenv); err != nil {
		return nil, err
	}
	r := &run{o: o, sc: sc, clk: o.Clock, running: map[int]*deviceRun{},
		media: map[string]*source.Shared{}, networks: map[string]network.Profile{},
		packs: av.NewPackedPool(), bodies: cstorage.NewBodyPool(),
		probes: map[int]*cloud.Probe{}}
	r.plan = scenarios.NewFleetPlan(sc)
	if r.external() {
		r.probeSet = probed(sc, r.plan)
	}
	r.devs = r.plan.Shard(o.Shard)
	for name, p := range sc.Profiles {
		if p.SDK.Kind != scenarios.SDKCloudStorage && p.SDK.Kind != scenarios.SDKRTMPPush {
			return nil, fmt.Errorf("runner: profile %s: SDK kind %q is not supported by this build yet", name, p.SDK.Kind)
		}
		mp, err := mediaProfile(p)
		if err != nil {
			return nil, fmt.Errorf("runner: profile %s: %w", name, err)
		}
		sh, err := source.NewShared(mp)
		if err != nil {
			return nil, fmt.Errorf("runner: profile %s: %w", name, err)
		}
		r.media[name] = sh
	}
	r.traces = network.TraceCache(scenarioDir(sc))
	for name, n := range sc.Networks {
		r.networks[name] = n.Profile
	}
	return r, nil
}

func (r *run) run(ctx context.Context) (*Result, error) {
	sc, o := r.sc, r.o
	raiseFileLimit(len(r.devs), o.Out)
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: output folder: %w", err)
	}
	f, err := os.Create(filepath.Join(o.OutDir, report.FileResults))
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	r.resFile = f
	defer f.Close()
	r.results = bufio.NewWriterSize(f, 256<<10)

	info, err := r.runInfo()
	if err != nil {
		return nil, err
	}
	r.acc, err = report.NewAccumulator(info, r.clk, r.results)
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	r.sink = r.acc
	if o.Sink != nil {
		r.sink = teeSink{r.acc, o.Sink}
	}

	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	r.probeCtx, r.cancelProbes = context.WithCancel(ctx)
	defer r.cancelProbes()
	var bg sync.WaitGroup
	defer bg.Wait()
	bg.Add(1)
	go func() { defer bg.Done(); _ = r.acc.Run(runCtx) }()

	if r.needCloud() && r.transport() == TransportMemory {
		// closed after the cloud (defers run last first)
		r.mem = memnet.New(memnet.Options{})
		defer r.mem.Close()
		r.dial = memoryDial(r.mem)
	}
	if r.needCloud() {
		if err := r.startCloud(runCtx); err != nil {
			return nil, err
		}
		defer r.cloud.Close()
	}

	if o.MetricsAddr != "" {
		srv := &http.Server{Addr: o.MetricsAddr, Handler: metricsMux(r.acc), ReadHeaderTimeout: 5 * time.Second}
		bg.Add(1)
		go func() {
			defer bg.Done()
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(o.Out, "fleetsim: metrics server: %v\n", err)
			}
		}()
		defer srv.Close()
	}

	fmt.Fprintf(o.Out, "fleetsim: %s — %d devices (shard %s of %d planned) against %s for %v; output %s\n",
		sc.Name, len(r.devs), o.Shard, len(r.plan.Devices), r.targetDescription(), sc.Duration, o.OutDir)

	start := r.clk.Now()
	r.schedule(runCtx, start)

	prog := newProgress(o, r.acc, len(r.devs), sc.Duration.D(), start, r.clk)
	bg.Add(1)
	go func() { defer bg.Done(); prog.run(runCtx) }()

	abort := make(chan string, 1)
	if len(r.abortOn) > 0 {
		bg.Add(1)
		go func() { defer bg.Done(); r.watchAbort(runCtx, abort) }()
	}
	interrupted := r.wait(ctx, sc.Duration.D(), abort)
	r.stop(interrupted)
	if r.mem != nil {
		st := r.mem.Stats()
		fmt.Fprintf(o.Out, "fleetsim: in-memory network: %d connections, %d refused, %d writes waited for the reader\n",
			st.Dials, st.Refused, st.WriteWaits)
	}
	r.drainProbes()
	cancelRun()

	gen := report.ProcessStats()
	gen.Procs = runtime.GOMAXPROCS(0)
	if r.o.ProcsPeak != nil {
		gen.Procs = r.o.ProcsPeak()
	}
	rep, err := r.acc.Finish(report.FinishInfo{Interrupted: interrupted, Generator: gen})
	if ferr := r.results.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(o.Out, "fleetsim: results: %v\n", err)
	}
	if err := report.WriteDir(o.OutDir, rep); err != nil {
		return nil, fmt.Errorf("runner: writing the report: %w", err)
	}
	prog.finish()
	if err := report.WriteTerminal(o.Out, rep, report.TerminalOptions{}); err != nil {
		return nil, err
	}
	return &Result{Report: rep, Interrupted: interrupted, OutDir: o.OutDir}, nil
}

// wait blocks until the run's duration passes (false) or an interrupt, a
// failed abort-on-fail threshold or ctx ends it early (true).
func (r *run) wait(ctx context.Context, d time.Duration, abort <-chan string) bool {
	t := r.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return false
	case <-ctx.Done():
		return true
	case why := <-abort:
		fmt.Fprintf(r.o.Out, "\nfleetsim: aborting: %s\n", why)
		return true
	case <-r.o.Interrupts:
		fmt.Fprintln(r.o.Out, "\nfleetsim: interrupted — stopping gracefully (interrupt again to stop at once)")
		return true
	}
}

// watchAbort checks the abort-on-fail thresholds against the closed windows
// every few seconds and reports the first that fails (with data).
func (r *run) watchAbort(ctx context.Context, abort chan<- string) {
	t := r.clk.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		rep := r.acc.Provisional()
		if len(rep.Timeline) == 0 {
			continue // no window closed yet
		}
		for _, th := range rep.Thresholds {
			if r.abortOn[th.Name] && !th.OK && th.Value != nil {
				abort <- fmt.Sprintf("threshold %s %s failed (value %g) and is abort_on_fail", th.Name, th.Condition, *th.Value)
				return
			}
		}
	}
}

// stop ends every device: no new frames, a grace period for uploads in
// flight (cut short by a second interrupt), then SDK exit.
func (r *run) stop(interrupted bool) {
	r.mu.Lock()
	r.stopped = true
	for _, t := range r.timers {
		t.Stop()
	}
	devs := make([]*deviceRun, 0, len(r.running))
	for _, d := range r.running {
		devs = append(devs, d)
	}
	r.mu.Unlock()
	sort.Slice(devs, func(i, j int) bool { return devs[i].spec.Index < devs[j].spec.Index })
	for _, d := range devs {
		d.dev.StopCapture()
	}
	grace := r.clk.NewTimer(r.o.Grace)
	deadline := r.clk.Now().Add(r.o.Grace)
	poll := r.clk.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
wait:
	for {
		busy := false
		for _, d := range devs {
			if d.dev.Busy() {
				busy = true
				break
			}
		}
		if !busy || !r.clk.Now().Before(deadline) {
			break
		}
		select {
		case <-grace.C():
			break wait
		case <-poll.C():
		case <-r.o.Interrupts:
			fmt.Fprintln(r.o.Out, "fleetsim: second interrupt — stopping now")
			break wait
		}
	}
	grace.Stop()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, d := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func(d *deviceRun) {
			defer wg.Done()
			defer func() { <-sem }()
			_ = d.dev.Close()
			if d.link != nil {
				_ = d.link.Close()
			}
			if d.client != nil {
				d.client.CloseIdle()
			}
		}(d)
	}
	wg.Wait()
}

func (r *run) runInfo() (report.RunInfo, error) {
	info := report.RunInfo{Scenario: r.sc.Name, Seed: r.sc.Seed, Planned: len(r.devs), Window: r.o.Window}
	if r.o.Shard.N > 1 {
		info.Shard = report.Shard{Index: r.o.Shard.I, Count: r.o.Shard.N}
	}
	for _, g := range r.plan.Groups {
		grp := report.Group{Name: g.Name}
		for i := g.First; i < g.First+g.Count; i++ {
			if r.o.Shard.Has(i) {
				grp.Devices = append(grp.Devices, i)
			}
		}
		info.Groups = append(info.Groups, grp)
	}
	for _, t := range r.sc.Thresholds {
		th, err := report.ParseThreshold(t.Metric, t.Condition)
		if err != nil {
			return info, fmt.Errorf("runner: threshold %s: %w", t.Metric, err)
		}
		info.Thresholds = append(info.Thresholds, th)
		if t.AbortOnFail {
			if r.abortOn == nil {
				r.abortOn = map[string]bool{}
			}
			r.abortOn[th.Name] = true
		}
	}
	return info, nil
}

func (r *run) targetDescription() string {
	if r.httpTarget() {
		return "the HTTP API " + r.sc.Target.URL + " (frames accounted from its receipts; " + r.quantumDescription() + ")"
	}
	if r.external() {
		n := 0
		for _, d := range r.devs {
			if r.probeSet[d.Index] {
				n++
			}
		}
		s := fmt.Sprintf("the RTMP target %s (auth %s; %d of %d devices played back by probes, the others' frames stay in flight",
			r.sc.Target.URL, authName(r.sc.Target.Auth), n, len(r.devs))
		if r.cloud != nil {
			s += "; live view via the embedded relay " + r.cloud.HTTPAddr()
		}
		return s + "; " + r.quantumDescription() + ")"
	}
	via := "an in-memory network"
	if r.mem == nil {
		via = "loopback TCP"
	}
	return "the embedded mock cloud (http " + r.cloud.HTTPAddr() + ", rtmp " + r.cloud.RTMPAddr() +
		"; transport " + r.transport() + ": " + via + "; " + r.quantumDescription() + ")"
}

// quantumDescription says how finely links hand bytes over.
func (r *run) quantumDescription() string {
	if q := r.o.linkQuantum(); q > 0 {
		return "links write every " + q.String() + ", arrivals up to " + q.String() + " late"
	}
	return "links write at exact times"
}

func (r *run) startCloud(ctx context.Context) error {
	index := make(map[string]int, len(r.plan.Devices))
	for _, d := range r.plan.Devices {
		index[d.ID] = d.Index
	}
	var listen func(network, address string) (net.Listener, error)
	if r.mem != nil {
		listen = r.mem.Listen
	}
	c := cloud.New(cloud.Config{
		Listen:      listen,
		Seed:        r.sc.Seed,
		DefaultPlan: cloudapi.Plan{Kind: cloudapi.PlanNone},
		DeviceIndex: func(id string) int {
			if i, ok := index[id]; ok {
				return i
			}
			return -1
		},
	}, r.clk, r.sink)
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("runner: embedded cloud: %w", err)
	}
	r.cloud = c
	for i := range r.devs {
		d := &r.devs[i]
		g := r.sc.Group(d.Group)
		p := r.sc.Profiles[d.Profile]
		for ch := 0; ch < max(1, p.Channels); ch++ {
			c.SetPlan(d.ID, ch, cloudPlan(d.Plan, g.FreeTrial.D()))
		}
	}
	return nil
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
	if s == "" {
		return "run"
	}
	return s
}

func metricsMux(acc *report.Accumulator) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", report.NewMetricsHandler(acc))
	return mux
}
