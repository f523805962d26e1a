package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/fleetsim/fleetsim/report"
)

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func parseInterleaved(fset *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		rest := fset.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func runReport(_ context.Context, env *cliEnv, args []string) int {
	fset := flag.NewFlagSet("report", flag.ContinueOnError)
	fset.SetOutput(env.stderr)
	fset.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: fleetsim report RESULTS.jsonl... [--out DIR]\n\n"+
			"Renders report.json, report.md, report.html and junit.xml again from results.jsonl;\n"+
			"the results of several shards of one run are merged. Exit 99 when the run did not pass.")
		fset.PrintDefaults()
	}
	out := fset.String("out", "", "directory for the reports (default: the first results file's directory)")
	quiet := fset.Bool("quiet", false, "do not print the summary")
	color := fset.Bool("color", false, "color PASS/FAIL in the summary")
	files, err := parseInterleaved(fset, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitPass
	}
	if err != nil {
		return exitBadInput
	}
	if len(files) == 0 {
		fmt.Fprintln(env.stderr, "fleetsim report: no results file given")
		fset.Usage()
		return exitBadInput
	}
	rep, err := report.LoadResults(files...)
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim report: %v\n", err)
		var pe *fs.PathError
		if errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			return exitRuntime
		}
		return exitBadInput
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(files[0])
	}
	if err := report.WriteDir(dir, rep); err != nil {
		fmt.Fprintf(env.stderr, "fleetsim report: %v\n", err)
		return exitRuntime
	}
	if !*quiet {
		if err := report.WriteTerminal(env.stdout, rep, report.TerminalOptions{Color: *color}); err != nil {
			return exitRuntime
		}
	}
	fmt.Fprintf(env.stderr, "wrote %s\n", strings.Join([]string{
		filepath.Join(dir, report.FileJSON), filepath.Join(dir, report.FileMarkdown),
		filepath.Join(dir, report.FileHTML), filepath.Join(dir, report.FileJUnit)}, ", "))
	if !rep.Pass {
		return exitThreshold
	}
	return exitPass
}
