package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

// fleetsimBinary builds ./cmd/fleetsim once into the work dir.
func fleetsimBinary(ctx context.Context, o options) (string, error) {
	if o.fleetsim != "" {
		return o.fleetsim, nil
	}
	bin := filepath.Join(o.work, "fleetsim")
	out, err := testpeer.Run(ctx, 5*time.Minute, "go", "build", "-o", bin, "./cmd/fleetsim")
	if err != nil {
		return "", fmt.Errorf("build fleetsim: %v\n%s", err, out)
	}
	return bin, nil
}

func fleetsimEmbedded(ctx context.Context, o options) ([]result, error) {
	var rs []result
	for _, n := range o.embedded {
		r, err := fleetsimRun(ctx, o, o.scenario, n, nil)
		if err != nil {
			return rs, err
		}
		r.Target = "embedded cloud"
		rs = append(rs, r)
		progress(r)
	}
	return rs, nil
}

func fleetsimVsNginx(ctx context.Context, o options, ngx *testpeer.Nginx, n int) (result, error) {
	extra := []string{"--set", "target.url=rtmp://" + ngx.Addr + "/live/{device}"}
	for _, kv := range o.sets {
		extra = append(extra, "--set", kv)
	}
	r, err := fleetsimRun(ctx, o, o.pushScenario, n, extra)
	r.Target = "nginx-rtmp"
	return r, err
}

// fleetsimPushEmbedded runs the push scenario against the embedded cloud's
// RTMP ingest (in the fleetsim process), for builds that cannot target an
// external RTMP server yet.
func fleetsimPushEmbedded(ctx context.Context, o options, n int) (result, error) {
	r, err := fleetsimRun(ctx, o, o.pushScenario, n, []string{"--set", "target={kind: embedded}"})
	r.Tool = "fleetsim (push SDK)"
	r.Target = "embedded RTMP ingest"
	return r, err
}

func progress(r result) {
	if r.Skipped != "" {
		fmt.Fprintf(os.Stderr, "%s N=%d: not measured: %s\n", r.Target, r.Cameras, r.Skipped)
		return
	}
	fmt.Fprintf(os.Stderr, "%s N=%d: %s %s/cam-s, peak RSS %s/cam, lag p99 %s, delivered/sent %s\n",
		r.Target, r.Cameras, r.Tool, us(r.CPUPerCamSecond()), size(r.perCam(r.PeakRSS)), ms(r.LagP99), r.deliveredCell())
}

// fleetsimRun runs `fleetsim run` for warm-up + window, samples its CPU at
// the window's edges and its memory at the window's end, and reads its
// report. Only the fleetsim process is measured (the harness reads /proc
// and sleeps). A build of fleetsim that cannot run the scenario (a target or
// SDK not supported yet) gives a result with Skipped set, not an error.
func fleetsimRun(ctx context.Context, o options, scenario string, n int, extra []string) (result, error) {
	res := result{Tool: "fleetsim", Cameras: n, Steal: -1}
	bin, err := fleetsimBinary(ctx, o)
	if err != nil {
		return res, err
	}
	out := filepath.Join(o.work, fmt.Sprintf("run-%s-%d-%d", strings.TrimSuffix(filepath.Base(scenario), ".yaml"), n, time.Now().UnixNano()))
	total := o.warmup + o.window
	args := append([]string{"run", scenario, "--devices", strconv.Itoa(n),
		"--duration", (total + 2*time.Second).String(), "--grace", o.grace.String(),
		"--progress", "off", "--out", out}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	if o.profile {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return res, err
		}
		cmd.Env = append(os.Environ(), "FLEETSIM_CPUPROFILE="+filepath.Join(out, "cpu.pprof"),
			"FLEETSIM_MEMPROFILE="+filepath.Join(out, "heap.pprof"), "FLEETSIM_MEMPROFILE_AFTER="+(o.warmup+o.window).String())
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return res, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	fail := func(err error) (result, error) {
		_ = cmd.Process.Kill()
		<-done
		return res, fmt.Errorf("fleetsim N=%d: %v\n%s", n, err, tail(logs.Bytes()))
	}
	// ended early: a build that cannot run this scenario says so on exit
	early := func(err error) (result, error) {
		if reason := unsupported(logs.Bytes()); reason != "" {
			res.Skipped = reason
			return res, nil
		}
		return res, fmt.Errorf("fleetsim N=%d ended before the measurement window closed (%v)\n%s", n, err, tail(logs.Bytes()))
	}
	pid := cmd.Process.Pid
	stat0, stat0Err := readCPUStat()
	overLimit := func() (result, error) {
		_ = cmd.Process.Kill()
		<-done
		res.Skipped = fmt.Sprintf("stopped: resident memory passed the harness limit of %s (-max-rss)", size(float64(o.maxRSS)))
		return res, nil
	}
	if err, ended, over := waitWatching(ctx, o.warmup, done, pid, o.maxRSS); ended {
		return early(err)
	} else if over {
		return overLimit()
	} else if err != nil {
		return fail(err)
	}
	cpu0, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if err, ended, over := waitWatching(ctx, o.window, done, pid, o.maxRSS); ended {
		return early(err)
	} else if over {
		return overLimit()
	} else if err != nil {
		return fail(err)
	}
	cpu1, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	res.Steal = -1
	if stat1, err := readCPUStat(); err == nil && stat0Err == nil {
		res.Steal = stealShare(stat0, stat1)
	}
	elapsed := time.Since(start)
	mem, err := memUsage(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	// the run ends at its duration plus the grace and the report writing
	limit := time.NewTimer(o.grace + 2*time.Minute)
	defer limit.Stop()
	select {
	case err = <-done:
	case <-limit.C:
		return fail(errors.New("did not end after its duration"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 99 { // 99: a threshold failed, still a measurement
			return res, fmt.Errorf("fleetsim N=%d: %v\n%s", n, err, tail(logs.Bytes()))
		}
	}
	rep, err := readReport(filepath.Join(out, "report.json"))
	if err != nil {
		return res, err
	}
	res.Elapsed, res.CPU = elapsed, cpu1-cpu0
	res.RSS, res.PeakRSS, res.PSS = mem.RSS, mem.PeakRSS, mem.PSS
	res.LagP50, res.LagP99, res.LagMax = msDur(rep.Generator.Lag.P50), msDur(rep.Generator.Lag.P99), msDur(rep.Generator.Lag.Max)
	res.Procs = rep.Generator.Procs
	f := rep.Frames
	res.Sent, res.Delivered, res.InFlight = f.Sent, f.Delivered, f.InFlight
	// loss, as the report counts it: drops by policy (no plan yet, audio
	// before the first IDR…) are the SDK doing its job, not loss
	res.Failed = f.DroppedDevice - f.DroppedByPolicy + f.LostNetwork + f.RejectedCloud
	res.ByPolicy = f.DroppedByPolicy
	if k, ok := probedDevices(logs.Bytes()); ok {
		p, err := readProbed(filepath.Join(out, "results.jsonl"), k)
		if err != nil {
			return res, err
		}
		res.Probe = &p
	}
	return res, nil
}

// waitWatching waits d; ended reports that the process exited meanwhile
// (with its Wait error), over that its resident memory passed limit (read
// once a second; 0: no limit) so that a fleet too large for the machine is
// stopped before it pushes the machine into swap or the OOM killer.
func waitWatching(ctx context.Context, d time.Duration, done <-chan error, pid int, limit int64) (err error, ended, over bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err, true, false
		case <-t.C:
			return nil, false, false
		case <-ctx.Done():
			return ctx.Err(), false, false
		case <-tick.C:
			if limit <= 0 {
				continue
			}
			if m, err := memUsage(pid); err == nil && m.RSS > limit {
				return nil, false, true
			}
		}
	}
}

// unsupported finds fleetsim's "not supported by this build" message.
func unsupported(logs []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(logs))
	for sc.Scan() {
		if l := sc.Text(); strings.Contains(l, "not supported") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// reportSubset is the part of report.json the harness reads (DESIGN.md §6).
type reportSubset struct {
	Frames struct {
		Sent          int64 `json:"sent"`
		Delivered     int64 `json:"delivered"`
		DroppedDevice int64 `json:"dropped_device"`
		// DroppedByPolicy is part of DroppedDevice and not loss.
		DroppedByPolicy int64 `json:"dropped_by_policy"`
		LostNetwork     int64 `json:"lost_network"`
		RejectedCloud   int64 `json:"rejected_cloud"`
		InFlight        int64 `json:"in_flight"`
	} `json:"frames"`
	Generator struct {
		Lag struct {
			P50 float64 `json:"p50"`
			P99 float64 `json:"p99"`
			Max float64 `json:"max"`
		} `json:"lag_ms"`
		Procs int `json:"procs"`
	} `json:"generator"`
}

func readReport(path string) (reportSubset, error) {
	var r reportSubset
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[len(b)-4000:]
	}
	return b
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 19350
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
