// Command fleetsim simulates fleets of IP cameras against a real or embedded
// cloud and reports latency and loss. This package is wiring only: each
// subcommand lives in its own file and calls into sim/ and report/.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes (DESIGN.md §6).
const (
	exitPass      = 0
	exitRuntime   = 1
	exitBadInput  = 2
	exitThreshold = 99
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) int
}

// cliEnv is what a subcommand may touch of the process.
type cliEnv struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// interrupts delivers SIGINT/SIGTERM; a subcommand that handles graceful
	// stop reads it, others rely on ctx.
	interrupts <-chan os.Signal
}

func commands() []command {
	return []command{
		{"run", "run a scenario and write its reports", runRun},
		{"version", "print the version", runVersion},
		{"cloud", "run the mock cloud standalone", runCloud},
		{"validate", "check scenario files, reporting every problem", runValidate},
		{"schema", "print the JSON Schema of scenario files", runSchema},
		{"report", "render reports again from results.jsonl (shards merged)", runReport},
		{"compare", "compare two runs; exit 99 on a regression", runCompare},
	}
}

func main() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	env := &cliEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, interrupts: sig}
	os.Exit(profiled(env.getenv, env.stderr, func() int { return dispatch(context.Background(), env, os.Args[1:]) }))
}

func dispatch(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitPass
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.stderr, "fleetsim: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return exitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fleetsim COMMAND [ARGS]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
