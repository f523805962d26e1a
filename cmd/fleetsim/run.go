package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/sim/procs"
	"github.com/fleetsim/fleetsim/sim/runner"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

func runRun(ctx context.Context, env *cliEnv, args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var sf scenarioFlags
	sf.register(fs)
	out := fs.String("out", "", "output folder (default out/NAME-TIMESTAMP)")
	metrics := fs.String("metrics-addr", "", "serve Prometheus /metrics on this address while the run lasts (e.g. 127.0.0.1:9090)")
	shard := fs.String("shard", "", "run shard I/N of the fleet (devices with index mod N == I)")
	progressMode := fs.String("progress", "auto", "progress display: auto, bars, lines or off")
	grace := fs.Duration("grace", 10*time.Second, "time in-flight uploads get to finish after the stop")
	quantum := fs.Duration("link-quantum", runner.DefaultLinkQuantum, "how finely device links hand bytes over: arrivals are rounded up to this grid (one timer per quantum per busy link); 0 or less: exact times")
	gcPct := gcPercentFlag(fs)
	memBudget := memoryBudgetFlag(fs)
	procsVal := procsFlag(fs)
	huge := hugePagesFlag(fs)
	transport := fs.String("transport", runner.TransportMemory, "how devices reach the embedded cloud: memory (an in-memory network, no sockets) or tcp (loopback sockets); external targets always use sockets")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: fleetsim run FILE [--out DIR] [--duration D] [--devices N] [--seed N] [--set PATH=VALUE]… [--metrics-addr ADDR] [--shard I/N] [--transport memory|tcp] [--link-quantum D] [--gc-percent N] [--memory-budget auto|off|SIZE] [--procs auto|N] [--huge-pages]\n\nRuns a scenario and writes results.jsonl, report.json, report.md, report.html and junit.xml.\nExit 0 pass, 99 a threshold failed, 2 bad input, 1 runtime error.")
		fs.PrintDefaults()
	}
	file, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		fmt.Fprintf(env.stderr, "fleetsim run: %v\n", err)
		return exitBadInput
	}
	if sf.devices < 0 {
		fmt.Fprintf(env.stderr, "fleetsim run: --devices %d: expected a positive count\n", sf.devices)
		return exitBadInput
	}
	if *transport != runner.TransportMemory && *transport != runner.TransportTCP {
		fmt.Fprintf(env.stderr, "fleetsim run: --transport %q: expected memory or tcp\n", *transport)
		return exitBadInput
	}
	gcSet, err := applyGCPercent(fs, *gcPct, env.getenv)
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim run: %v\n", err)
		return exitBadInput
	}
	pp, err := planProcs(fs, *procsVal, env.getenv)
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim run: %v\n", err)
		return exitBadInput
	}
	var sh scenarios.Shard
	if *shard != "" {
		if sh, err = scenarios.ParseShard(*shard); err != nil {
			fmt.Fprintf(env.stderr, "fleetsim run: --shard: %v\n", err)
			return exitBadInput
		}
	}
	opt := sf.options()
	opt.Getenv = env.getenv
	sc, err := scenarios.LoadFile(file, opt)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitBadInput
	}
	if pp.heap, err = planHeapBudget(*memBudget, gcSet, *gcPct, shardDevices(sc.Devices(), sh), procs.MemAvailable(), env.getenv); err != nil {
		fmt.Fprintf(env.stderr, "fleetsim run: %v\n", err)
		return exitBadInput
	}
	pp.huge = *huge
	stopProcs := pp.start(ctx)
	res, err := runner.Run(ctx, runner.Options{
		Scenario: sc, Shard: sh, OutDir: *out, Out: env.stdout, Progress: *progressMode,
		Interrupts: env.interrupts, Grace: *grace, MetricsAddr: *metrics, Getenv: env.getenv,
		Transport: *transport, LinkQuantum: linkQuantum(*quantum), ClockShards: pp.shards, ProcsPeak: pp.peak(),
	})
	stopProcs()
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim run: %v\n", err)
		return exitRuntime
	}
	fmt.Fprintf(env.stdout, "reports: %s\n", res.OutDir)
	if !res.Report.Pass {
		return exitThreshold
	}
	return exitPass
}

// shardDevices is how many of a fleet's n devices shard sh runs.
func shardDevices(n int, sh scenarios.Shard) int {
	if sh.N <= 1 {
		return n
	}
	return (n - sh.I + sh.N - 1) / sh.N
}

// parseInterspersed parses flags before and after the one positional FILE.
func parseInterspersed(fs *flag.FlagSet, args []string) (string, error) {
	var file string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if file != "" {
			return "", fmt.Errorf("one scenario file expected, got %q and %q", file, rest[0])
		}
		file, args = rest[0], rest[1:]
	}
	if file == "" {
		fs.Usage()
		return "", errors.New("no scenario file")
	}
	return file, nil
}

// linkQuantum maps --link-quantum to runner.Options.LinkQuantum: 0 or less
// asks for exact times (the option's 0 would be the default).
func linkQuantum(q time.Duration) time.Duration {
	if q <= 0 {
		return -1
	}
	return q
}
