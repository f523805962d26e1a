// Command harness is fleetsim's benchmark harness (make bench). It measures,
// on this machine and in one invocation:
//
//	(a) fleetsim with N cameras of the quickstart camera against the
//	    embedded cloud (bench/scenarios/embedded.yaml: clean link, full-time
//	    plans): CPU per camera-second, peak RSS per camera, generator lag,
//	    delivered/sent and frames failed (dropped + lost + rejected);
//	(b) against nginx-rtmp on loopback, fleetsim's push SDK
//	    (bench/scenarios/push-nginx.yaml) and then one
//	    `ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv` process per
//	    camera, and the ratios of CPU per camera-second and PSS per camera;
//	    a fleetsim build that cannot push to RTMP yet is reported as not
//	    measured, never given a number;
//
// and writes the table with a machine description to bench/RESULTS.md.
// Only the generators are measured: CPU from /proc/PID/stat at the edges of
// the window, memory from /proc/PID/status (VmHWM) and smaps_rollup at its
// end; the harness itself sleeps meanwhile. Against the embedded cloud the
// fleetsim process also runs the mock cloud that verifies every frame, so
// its CPU is the generator's and the verifier's together.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

type options struct {
	embedded             []int // fleet sizes against the embedded cloud
	vsNginx              []int // fleet sizes for the side-by-side with ffmpeg
	warmup               time.Duration
	window               time.Duration
	work                 string
	out                  string
	fleetsim             string // path of a built fleetsim binary
	scenario             string // embedded-cloud runs
	pushScenario         string // nginx-rtmp runs
	grace                time.Duration
	loadBefore           string // load average when the harness started
	maxRSS               int64  // fleetsim runs are stopped past this resident size
	profile              bool   // fleetsim runs write CPU and heap profiles
	fleetsimOn, ffmpegOn bool
	// sets are extra `--set key=value` overrides of fleetsim's nginx-rtmp
	// runs (e.g. an SDK option of the push scenario's profile)
	sets []string
}

// setFlags collects repeated -set flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var o options
	var emb, ngx string
	flag.StringVar(&emb, "embedded", "100,1000,2000,3000,5000,10000", "fleet sizes against the embedded cloud (empty: skip)")
	flag.StringVar(&ngx, "nginx", "50,200", "fleet sizes for fleetsim vs ffmpeg against nginx-rtmp (empty: skip)")
	flag.DurationVar(&o.warmup, "warmup", 15*time.Second, "time before measuring (ramp, connections, first slices)")
	flag.DurationVar(&o.window, "window", 30*time.Second, "measurement window")
	flag.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "fleetsim-bench"), "work directory (clip, nginx, outputs)")
	flag.StringVar(&o.out, "out", "bench/RESULTS.md", "results file")
	flag.StringVar(&o.fleetsim, "fleetsim", "", "fleetsim binary (default: build ./cmd/fleetsim into the work dir)")
	flag.StringVar(&o.scenario, "scenario", "bench/scenarios/embedded.yaml", "scenario of the embedded-cloud runs (--devices and --duration are set)")
	flag.StringVar(&o.pushScenario, "push-scenario", "bench/scenarios/push-nginx.yaml", "scenario of fleetsim's nginx-rtmp runs (target.url is set)")
	flag.DurationVar(&o.grace, "grace", 3*time.Second, "fleetsim --grace: in-flight uploads after the stop (not measured)")
	tools := flag.String("tools", "fleetsim,ffmpeg", "generators to measure against nginx-rtmp")
	maxRSS := flag.Int64("max-rss-mb", memAvailableMB()*3/4, "stop a fleetsim run whose resident memory passes this many MB (default 3/4 of MemAvailable at start; 0: no limit)")
	flag.BoolVar(&o.profile, "profile", false, "fleetsim runs write cpu.pprof and heap.pprof into their output folders (a few % of CPU)")
	var sets setFlags
	flag.Var(&sets, "set", "extra `key=value` override (fleetsim run --set) of the nginx-rtmp runs; repeatable")
	flag.Parse()
	o.sets = sets
	o.maxRSS = *maxRSS << 20
	o.fleetsimOn = strings.Contains(*tools, "fleetsim")
	o.ffmpegOn = strings.Contains(*tools, "ffmpeg")
	var err error
	if o.embedded, err = sizes(emb); err == nil {
		o.vsNginx, err = sizes(ngx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

func sizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad fleet size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, o options) error {
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	o.loadBefore = loadAverage()
	var results []result
	if len(o.embedded) > 0 {
		rs, err := fleetsimEmbedded(ctx, o)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if len(o.vsNginx) > 0 {
		clip, err := makeClip(ctx, o.work)
		if err != nil {
			return err
		}
		for _, n := range o.vsNginx {
			ngx, err := testpeer.LaunchNginxRTMP(filepath.Join(o.work, fmt.Sprintf("nginx-%d", n)), freePort(), testpeer.NginxOptions{Quiet: true})
			if err != nil {
				return err
			}
			var fs, fe, ff result
			if o.fleetsimOn {
				if fs, err = fleetsimVsNginx(ctx, o, ngx, n); err != nil {
					ngx.Stop()
					return err
				}
				if fs.Skipped != "" {
					// the same push fleet into the embedded cloud's RTMP
					// ingest: a conservative stand-in (its CPU includes
					// the ingest verifying every frame)
					if fe, err = fleetsimPushEmbedded(ctx, o, n); err != nil {
						ngx.Stop()
						return err
					}
				}
			}
			if o.ffmpegOn {
				if ff, err = ffmpegFleet(ctx, clip, "rtmp://"+ngx.Addr+"/live", n, o.warmup, o.window); err != nil {
					ngx.Stop()
					return err
				}
				ff.Target = "nginx-rtmp"
			}
			ngx.Stop()
			if o.fleetsimOn && o.ffmpegOn && fs.Skipped == "" {
				fs.Note = fmt.Sprintf("ffmpeg/fleetsim: CPU %.1f×, PSS %.1f×",
					ratio(float64(ff.CPUPerCamSecond()), float64(fs.CPUPerCamSecond())), ratio(ff.perCam(ff.PSS), fs.perCam(fs.PSS)))
			}
			if o.ffmpegOn && fe.Cameras > 0 && fe.Skipped == "" {
				fe.Note = fmt.Sprintf("ffmpeg/fleetsim: CPU %.1f×, PSS %.1f× (conservative: fleetsim's CPU and memory include the ingest)",
					ratio(float64(ff.CPUPerCamSecond()), float64(fe.CPUPerCamSecond())), ratio(ff.perCam(ff.PSS), fe.perCam(fe.PSS)))
			}
			for _, r := range []result{fs, fe, ff} {
				if r.Cameras > 0 {
					results = append(results, r)
					progress(r)
				}
			}
		}
	}
	return writeResults(o, results)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func writeResults(o options, rs []result) error {
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "# fleetsim benchmark results\n\n")
	fmt.Fprintf(f, "Machine: %s. Load average %s before, %s after (other work on the machine inflates CPU and lag).\n\n", machine(), o.loadBefore, loadAverage())
	fmt.Fprintf(f, "Measured %s at commit %s with %s. Warm-up %v, window %v.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), commit(), runtime.Version(), o.warmup, o.window)
	if o.fleetsim != "" {
		fmt.Fprintf(f, "fleetsim binary: %s, prebuilt (the commit above is the working tree's, not necessarily the binary's).\n\n", o.fleetsim)
	}
	fmt.Fprintf(f, "Reproduce: `%s`\n\n", reproduce())
	writeTable(f, rs)
	fmt.Fprintf(f, "\nHost steal: the share of the machine's CPU time the hypervisor gave to other guests (/proc/stat steal) from the run's start to the window's end; above %.0f %% a row's lag and CPU say more about the neighbours than about fleetsim. "+
		"Cores: the most cores (GOMAXPROCS) the fleetsim run used; fleetsim run --procs auto (the default, sim/procs) starts on one and adds one when the process's CPU use needs it. "+
		"CPU / camera-second: process CPU (user+system) over the window divided by cameras × window seconds; "+
		"against the embedded cloud it includes the mock cloud verifying every frame. Peak RSS: VmHWM; PSS: smaps_rollup at the window's end "+
		"(summed over the processes for ffmpeg). Lag: generator lag from fleetsim's report.json (whole run). "+
		"Failed: frames lost — dropped on the device against its plan, lost in the network or rejected by the cloud; by policy: frames the device dropped as its plan says (no service yet, audio before the first IDR: not loss, DESIGN.md §6); in flight: frames still in a slice or an upload at the end. "+
		"Against nginx-rtmp only the frames of devices whose stream a probe plays back get a fate (bench/scenarios/push-nginx.yaml probes a small share, "+
		"their CPU counted in fleetsim's): delivered / sent is over those devices, and the other devices' frames are counted in flight.\n", 100*stealLimit)
	if lines := targetLines(rs); len(lines) > 0 {
		fmt.Fprintf(f, "\nAgainst the targets of DESIGN.md §7 (generator lag p99 ≤ 10 ms, zero loss, ≤ 300 KB RSS per camera against the embedded cloud; CPU per camera-second at most a tenth of ffmpeg's against nginx-rtmp):\n\n")
		for _, l := range lines {
			fmt.Fprintf(f, "- %s\n", l)
		}
	}
	writeTable(os.Stdout, rs)
	return nil
}

// reproduce is the command line that repeats this measurement.
func reproduce() string {
	if len(os.Args) <= 1 {
		return "make bench"
	}
	return "bash bench/run.sh " + strings.Join(os.Args[1:], " ")
}

// commit is the checked-out commit (with "+dirty" for local changes).
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	// the results file itself is being written: it does not make the
	// measured tree dirty
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+dirty"
	}
	return c
}
