package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/report"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// scenarioFlags are the loading flags shared by validate and run.
type scenarioFlags struct {
	sets     stringList
	devices  int
	duration time.Duration
	seed     int64
	networks stringList
}

func (f *scenarioFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.sets, "set", "override a scenario value: PATH=VALUE (repeatable), e.g. networks.home-wifi.up.delay=200ms")
	fs.IntVar(&f.devices, "devices", 0, "scale the fleet to N devices keeping group proportions")
	fs.DurationVar(&f.duration, "duration", 0, "replace the scenario's duration")
	fs.Int64Var(&f.seed, "seed", -1, "replace the scenario's seed")
	fs.Var(&f.networks, "networks", "directory of named network profiles (repeatable; default: networks/ next to the file, then scenarios/networks)")
}

func (f *scenarioFlags) options() scenarios.Options {
	o := scenarios.Options{
		Set:         f.sets,
		Devices:     f.devices,
		Duration:    f.duration,
		NetworkDirs: f.networks,
		KnownMetric: report.KnownMetric,
		CheckThreshold: func(metric, condition string) error {
			_, err := report.ParseThreshold(metric, condition)
			return err
		},
	}
	if f.seed >= 0 {
		s := uint64(f.seed)
		o.Seed = &s
	}
	return o
}

func runValidate(_ context.Context, env *cliEnv, args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var sf scenarioFlags
	sf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: fleetsim validate [--set PATH=VALUE]… [--devices N] [--duration D] [--seed N] FILE…\n\nChecks scenario files and prints every problem as FILE:LINE:COL: PATH: found …; expected …\nExit 0 when all are valid, 2 otherwise.")
		fs.PrintDefaults()
	}
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitPass
			}
			return exitBadInput
		}
		if fs.NArg() == 0 {
			break
		}
		// flags may follow the files: take the next file and parse on
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fs.Usage()
		return exitBadInput
	}
	if sf.devices < 0 {
		fmt.Fprintf(env.stderr, "fleetsim validate: --devices %d: expected a positive count\n", sf.devices)
		return exitBadInput
	}
	opt := sf.options()
	bad, problems := 0, 0
	for _, file := range files {
		s, err := scenarios.LoadFile(file, opt)
		if err != nil {
			bad++
			var se *scenarios.Error
			if errors.As(err, &se) {
				problems += len(se.Problems)
			} else {
				problems++
			}
			fmt.Fprintln(env.stderr, err)
			continue
		}
		fmt.Fprintf(env.stdout, "ok %s: %s, %d devices in %d groups, %v, seed %d, target %s\n",
			file, s.Name, s.Devices(), len(s.Fleet), s.Duration, s.Seed, targetText(s))
	}
	if bad > 0 {
		fmt.Fprintf(env.stderr, "%d problem(s) in %d of %d file(s)\n", problems, bad, len(files))
		return exitBadInput
	}
	return exitPass
}

func targetText(s *scenarios.Scenario) string {
	if s.Target.Kind == scenarios.TargetEmbedded {
		return "embedded mock cloud"
	}
	return s.Target.Kind + " " + s.Target.URL
}
