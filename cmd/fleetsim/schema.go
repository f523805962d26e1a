package main

import (
	"context"
	"fmt"

	"github.com/fleetsim/fleetsim/sim/scenarios"
)

func runSchema(_ context.Context, env *cliEnv, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(env.stderr, "usage: fleetsim schema > scenario.schema.json\n\nPrints the JSON Schema (draft 2020-12) of scenario files for editors.")
		if args[0] == "-h" || args[0] == "--help" {
			return exitPass
		}
		return exitBadInput
	}
	b, err := scenarios.JSONSchema()
	if err != nil {
		fmt.Fprintln(env.stderr, "fleetsim schema:", err)
		return exitRuntime
	}
	fmt.Fprintf(env.stdout, "%s\n", b)
	return exitPass
}
