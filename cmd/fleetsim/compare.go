package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetsim/fleetsim/report"
)

func runCompare(_ context.Context, env *cliEnv, args []string) int {
	fset := flag.NewFlagSet("compare", flag.ContinueOnError)
	fset.SetOutput(env.stderr)
	fset.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: fleetsim compare BASE NEW [--tolerance SPEC]... [--ks-max-d D] [--alpha A] [--json]\n\n"+
			"BASE and NEW are report directories (report.json or results.jsonl inside), report.json files\n"+
			"or results.jsonl files. Exit 99 when NEW regresses beyond the tolerance, naming the metric.\n"+
			"SPEC: 10% (default relative tolerance), METRIC=15% (relative), METRIC=+50ms or\n"+
			"METRIC=+0.05% (absolute, in the metric's unit).")
		fset.PrintDefaults()
	}
	opts := report.DefaultCompareOptions()
	var tolerances stringList
	fset.Var(&tolerances, "tolerance", "tolerance (repeatable), see above; default 10%")
	fset.Float64Var(&opts.KSMaxD, "ks-max-d", opts.KSMaxD, "largest Kolmogorov-Smirnov distance of latency distributions tolerated when significant")
	fset.Float64Var(&opts.Alpha, "alpha", opts.Alpha, "significance level of the KS test")
	asJSON := fset.Bool("json", false, "print the comparison as JSON")
	pos, err := parseInterleaved(fset, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitPass
	}
	if err != nil {
		return exitBadInput
	}
	if len(pos) != 2 {
		fmt.Fprintf(env.stderr, "fleetsim compare: want BASE and NEW, got %d arguments\n", len(pos))
		fset.Usage()
		return exitBadInput
	}
	for _, t := range tolerances {
		if err := opts.ParseTolerance(t); err != nil {
			fmt.Fprintf(env.stderr, "fleetsim compare: %v\n", err)
			return exitBadInput
		}
	}
	if opts.KSMaxD < 0 || opts.KSMaxD > 1 || opts.Alpha <= 0 || opts.Alpha >= 1 {
		fmt.Fprintln(env.stderr, "fleetsim compare: --ks-max-d must lie in [0, 1] and --alpha in (0, 1)")
		return exitBadInput
	}
	base, err := loadReport(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim compare: BASE: %v\n", err)
		return exitBadInput
	}
	nu, err := loadReport(pos[1])
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim compare: NEW: %v\n", err)
		return exitBadInput
	}
	c := report.Compare(base, nu, opts)
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			return exitRuntime
		}
	} else {
		fmt.Fprintf(env.stdout, "BASE %s (%s, seed %d)\nNEW  %s (%s, seed %d)\n\n", pos[0], base.Scenario, base.Seed, pos[1], nu.Scenario, nu.Seed)
		if err := report.WriteComparison(env.stdout, c); err != nil {
			return exitRuntime
		}
	}
	if len(c.Regressions) > 0 {
		for _, r := range c.Regressions {
			fmt.Fprintf(env.stderr, "fleetsim compare: regression: %s\n", r)
		}
		return exitThreshold
	}
	return exitPass
}

// loadReport reads a report directory, a report.json or results.jsonl.
func loadReport(path string) (*report.Report, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		for _, name := range []string{report.FileJSON, report.FileResults} {
			p := filepath.Join(path, name)
			if _, err := os.Stat(p); err == nil {
				return loadReport(p)
			}
		}
		return nil, fmt.Errorf("%s: no %s or %s inside", path, report.FileJSON, report.FileResults)
	}
	if strings.HasSuffix(path, ".json") {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, err := report.ReadJSON(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return r, nil
	}
	return report.LoadResults(path)
}
