// Package report turns a run's observations into the numbers users read,
// paste into tickets and gate CI on (DESIGN.md §6): the accumulator that is
// a run's observe.Sink, results.jsonl streamed while the run goes, report.json,
// the terminal summary, report.md, report.html, junit.xml, thresholds,
// `fleetsim compare` and the Prometheus endpoint.
//
// # The runner's side
//
//	acc, err := report.NewAccumulator(report.RunInfo{
//		Scenario: sc.Name, Seed: sc.Seed, Shard: report.Shard{Index: i, Count: n},
//		Groups:     []report.Group{{Name: "living-rooms", Devices: []int{0, 1, 2}}},
//		Thresholds: ths, // from report.ParseThreshold(name, condition)
//	}, clk, resultsFile) // resultsFile: results.jsonl, or nil
//	go acc.Run(ctx)      // closes a 10 s window on clk, flushing a line each time
//	// ... pass acc as the observe.Sink of devices, links and the cloud ...
//	http.Handle("/metrics", report.NewMetricsHandler(acc)) // --metrics-addr
//	rep, err := acc.Finish(report.FinishInfo{Interrupted: stopped, Generator: report.ProcessStats()})
//	report.WriteDir(outDir, rep)                            // report.json, .md, .html, junit.xml
//	report.WriteTerminal(os.Stdout, rep, report.TerminalOptions{})
//	if !rep.Pass { exit 99 }
//
// The scenario validator calls KnownMetric(name) and ParseThreshold(name,
// condition): a threshold on a metric that does not exist is an error.
//
// # Accumulator
//
// Observe is safe for concurrent use and cheap (about 50 ns of CPU, no
// allocation): the observation's device index picks one of 4×GOMAXPROCS
// shards (at most 64), whose lock guards that shard's per-group counters,
// its devices' detail and a batch of latency samples. Full batches (1024
// samples) are recorded into histograms that exist once per group and metric
// (HDR histograms, 1 µs to 1 h, 3 significant digits: a percentile is
// reported within +0.1 % of the exact order statistic, HistogramRelativeError;
// max is exact). Memory is constant in run length: per metric and group a dense
// histogram for the open window (about 190 KB) and a packed one for the
// totals (growing with the populated buckets only), per device a few
// hundred bytes,
// per window one timeline point. 10,000 devices in 10 groups over an hour of
// windows stay under 20 MB (TestMemoryTenThousandDevicesOneHour).
//
// Frame accounting is exact per device: sent = delivered + dropped_device +
// lost_network + rejected_cloud + in_flight. A second fate for one of a
// stream's last 512 frames is caught as a double fate (counted, not counted
// as a fate); a device with more fates than frames sent has a negative
// in_flight. Either makes accounting.ok false and fails the run.
//
// # results.jsonl
//
// One JSON object per line: a run line (RunInfo), a window line per closed
// window carrying that window's counters, reasons, exact maxima and
// histogram deltas per group (so a killed run keeps every closed window),
// at the end one device line per device (the full per-device table: the
// report keeps only the worst devices) and an end line. LoadResults rebuilds
// the report from one file, or merges the files of a sharded run: counters
// add and histograms merge exactly, so the merged report equals the one an
// unsharded run would give. The live report and the one rebuilt from
// results are made by the same code from the same lines, so they are equal.
//
// # Verdict
//
// Report.Pass is false when a threshold fails, when frame accounting is
// broken, or when the run was interrupted; FailReasons says which. When the
// generator's own lag p99 exceeds RunInfo.LagLimit (default 50 ms) the
// report warns that its latency figures are not trustworthy
// (generator.trustworthy false).
package report
