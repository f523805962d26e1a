package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		r, err := fleetsimRun(ctx, o, n, nil)
		if err != nil {
			return rs, err
		}
		r.Target = "embedded cloud"
		rs = append(rs, r)
		fmt.Fprintf(os.Stderr, "embedded N=%d: %s/cam-s, lag p99 %s, delivered %d/%d\n", n, us(r.CPUPerCamSecond()), ms(r.LagP99), r.Delivered, r.Sent)
	}
	return rs, nil
}

func fleetsimVsNginx(ctx context.Context, o options, ngx *testpeer.Nginx, n int) (result, error) {
	r, err := fleetsimRun(ctx, o, n, []string{
		"--set", "target.kind=rtmp",
		"--set", "target.url=rtmp://" + ngx.Addr + "/live/{device}",
	})
	r.Target = "nginx-rtmp"
	return r, err
}

// fleetsimRun runs `fleetsim run` for warm-up + window, samples its CPU at
// the window's edges and its memory at the end, and reads its report.
func fleetsimRun(ctx context.Context, o options, n int, extra []string) (result, error) {
	bin, err := fleetsimBinary(ctx, o)
	if err != nil {
		return result{}, err
	}
	out := filepath.Join(o.work, fmt.Sprintf("run-%d-%d", n, time.Now().UnixNano()))
	total := o.warmup + o.window
	args := append([]string{"run", o.scenario, "--devices", strconv.Itoa(n),
		"--duration", (total + 2*time.Second).String(), "--out", out}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	fail := func(err error) (result, error) {
		_ = cmd.Process.Kill()
		<-done
		return result{}, fmt.Errorf("fleetsim N=%d: %v\n%s", n, err, tail(logs.Bytes()))
	}
	if err := sleepCtx(ctx, o.warmup); err != nil {
		return fail(err)
	}
	cpu0, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if err := sleepCtx(ctx, o.window); err != nil {
		return fail(err)
	}
	cpu1, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	elapsed := time.Since(start)
	mem, err := memUsage(cmd.Process.Pid)
	if err != nil {
		return fail(err)
	}
	if err := <-done; err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 99 { // 99: a threshold failed, still a measurement
			return result{}, fmt.Errorf("fleetsim N=%d: %v\n%s", n, err, tail(logs.Bytes()))
		}
	}
	rep, err := readReport(filepath.Join(out, "report.json"))
	if err != nil {
		return result{}, err
	}
	return result{
		Tool: "fleetsim", Cameras: n, Elapsed: elapsed, CPU: cpu1 - cpu0, RSS: mem.RSS, PSS: mem.PSS,
		LagP50: msDur(rep.Generator.Lag.P50), LagP99: msDur(rep.Generator.Lag.P99), LagMax: msDur(rep.Generator.Lag.Max),
		Sent: rep.Frames.Sent, Delivered: rep.Frames.Delivered,
	}, nil
}

// reportSubset is the part of report.json the harness reads (DESIGN.md §6).
type reportSubset struct {
	Frames struct {
		Sent      int64 `json:"sent"`
		Delivered int64 `json:"delivered"`
	} `json:"frames"`
	Generator struct {
		Lag struct {
			P50 float64 `json:"p50"`
			P99 float64 `json:"p99"`
			Max float64 `json:"max"`
		} `json:"lag_ms"`
	} `json:"generator"`
}

func readReport(path string) (reportSubset, error) {
	var r reportSubset
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
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
