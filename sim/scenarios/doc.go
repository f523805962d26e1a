// Package scenarios loads fleetsim scenario files: the YAML schema (these Go
// types are its source of truth), loading that reports every problem of a
// file at once with its position, validation, defaults, command-line
// overrides, and the deterministic fleet plan the runner executes.
//
// Loading (DESIGN.md §5):
//
//	s, err := scenarios.LoadFile("scenarios/quickstart.yaml", scenarios.Options{
//		Set:            []string{"networks.home-wifi.up.delay=200ms"}, // --set, before validation
//		Devices:        500,                                           // --devices, keeps group proportions
//		Duration:       time.Minute,                                   // --duration
//		KnownMetric:    report.KnownMetric,                            // thresholds on real report keys
//		CheckThreshold: func(m, c string) error { _, err := report.ParseThreshold(m, c); return err },
//	})
//
// err is a *Error holding every Problem, each printed as
// "FILE:LINE:COL: PATH: found …; expected …" (or "--set PATH=VALUE: …" when
// the value came from an override). The file is a yaml.v3 node tree walked by
// reflection over the yaml tags; struct tags also carry required, enum, min,
// max, default and doc, which drive the checks, the defaults, the JSON Schema
// (JSONSchema, printed by `fleetsim schema`) and the reference in
// scenarios/README.md. Unknown keys get a did-you-mean; sim/units values
// (rates, sizes, ratios, durations, frequencies) are parsed by sim/units and
// their errors placed at the value; link profiles are sim/network's Profile
// (checked by its Validate, problems placed at the named field), inline or
// from scenarios/networks/NAME.yaml (loaded by network.LoadProfile, with
// problems reported at that file's own positions). Cross-checks cover
// undefined profiles, networks and groups, plan mixes not summing to 100%,
// timeline times beyond the duration, one action per timeline entry, SDK
// parameters of the other SDK kind, remote targets without allow_remote, and
// thresholds on metrics the report does not have. Defaults are applied after
// validation, so a default never hides a mistake.
//
// The fleet plan (NewFleetPlan) lists every device of the run: index, id
// GROUP-NNNNN, group, profile, network, plan kind (exact proportions of the
// mix, dealt in a seeded order), per-device seed rng.Seed(run seed, id),
// clock skew drawn with that seed, and start offset from the ramp. It depends
// only on the loaded scenario, so shards (Shard{I, N}: index mod N == I)
// partition the same plan on every machine. Select and DealPlans give the
// devices and plans a timeline entry affects, identically in every shard.
package scenarios
