package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// runCloud runs the mock cloud standalone until interrupted.
func runCloud(ctx context.Context, env *cliEnv, args []string) int {
	fs := flag.NewFlagSet("cloud", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	rtmpAddr := fs.String("rtmp", "127.0.0.1:1935", "RTMP ingest listen address (\"off\" disables)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "HTTP cloud-storage API listen address (\"off\" disables)")
	rtpAddr := fs.String("rtp", "127.0.0.1:0", "live-view RTP relay UDP address (\"off\" disables)")
	auth := fs.String("auth", "none", "ingest auth: none, kingsoft:KEY, tencent:KEY, token:URL or token:self")
	apps := fs.String("apps", "live", "comma-separated RTMP application names")
	hookURL := fs.String("webhook-url", "", "URL receiving publish start/end callbacks")
	hookKey := fs.String("webhook-key", "", "callback key: sign = MD5(key + t)")
	hookInterval := fs.Duration("webhook-interval", time.Minute, "interval between callback retries")
	hookRetries := fs.Int("webhook-retries", 10, "retries of a callback until HTTP 200")
	hookRecording := fs.Bool("webhook-recording", false, "also send recording callbacks (stored slices)")
	hookSnapshot := fs.Bool("webhook-snapshot", false, "also send snapshot callbacks (stored pictures)")
	plan := fs.String("default-plan", "full-time", "plan of channels nobody set: none, full-time, event, free-trial")
	backfill := fs.Duration("backfill-window", 30*time.Minute, "how old a backfilled slice may be")
	seed := fs.Uint64("seed", 1, "seed of the cloud's random decisions (fault injection, tokens)")
	statsEvery := fs.Duration("stats", 0, "print a counters line this often (0: never)")
	verbose := fs.Bool("v", false, "log connections, refusals and restarts")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: fleetsim cloud [flags]\n\nRuns the mock cloud (RTMP ingest, HTTP cloud-storage API, live-view relay)\nuntil interrupted. Routes and codes: sim/cloud/API.md.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "fleetsim cloud: unexpected argument %q\n", fs.Arg(0))
		return exitBadInput
	}
	a, err := cloud.ParseAuth(*auth)
	if err != nil {
		fmt.Fprintf(env.stderr, "fleetsim cloud: --auth: %v\n", err)
		return exitBadInput
	}
	var pk cloudapi.PlanKind
	switch p := cloudapi.PlanKind(*plan); p {
	case cloudapi.PlanNone, cloudapi.PlanFullTime, cloudapi.PlanEvent, cloudapi.PlanFreeTrial:
		pk = p
	default:
		fmt.Fprintf(env.stderr, "fleetsim cloud: --default-plan %q: want none, full-time, event or free-trial\n", *plan)
		return exitBadInput
	}
	if *hookURL != "" && !strings.HasPrefix(*hookURL, "http://") && !strings.HasPrefix(*hookURL, "https://") {
		fmt.Fprintf(env.stderr, "fleetsim cloud: --webhook-url %q: want http(s)://…\n", *hookURL)
		return exitBadInput
	}
	if *hookInterval <= 0 || *hookRetries < 0 || *backfill <= 0 || *statsEvery < 0 {
		fmt.Fprintln(env.stderr, "fleetsim cloud: durations must be positive and retries not negative")
		return exitBadInput
	}
	cfg := cloud.Config{
		RTMPAddr: *rtmpAddr, HTTPAddr: *httpAddr, RTPAddr: *rtpAddr,
		Apps: strings.Split(*apps, ","), Auth: a, Seed: *seed,
		Webhook: cloud.WebhookConfig{URL: *hookURL, Key: *hookKey, Interval: *hookInterval,
			MaxRetries: *hookRetries, Recording: *hookRecording, Snapshot: *hookSnapshot},
		DefaultPlan:    cloudapi.Plan{Kind: pk, Valid: pk != cloudapi.PlanNone},
		BackfillWindow: *backfill,
	}
	if *verbose {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(env.stderr, format+"\n", args...) }
	}
	c := cloud.New(cfg, clock.NewReal(), observe.Discard{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		fmt.Fprintf(env.stderr, "fleetsim cloud: %v\n", err)
		return exitRuntime
	}
	defer c.Close()
	printAddrs(env.stdout, c, a)
	var tick <-chan time.Time
	if *statsEvery > 0 {
		t := time.NewTicker(*statsEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return exitPass
		case <-env.interrupts:
			fmt.Fprintln(env.stderr, "fleetsim cloud: stopping")
			return exitPass
		case <-tick:
			s := c.Snapshot()
			fmt.Fprintf(env.stdout, "streams %d delivered %d rejected %d slices %d overwritten %d refused-publish %d conns %d\n",
				s.LiveStreams, s.FramesDelivered, s.FramesRejected, s.SlicesStored, s.SlicesOverwritten, s.PublishRefused, s.OpenConns)
		}
	}
}

func printAddrs(w io.Writer, c *cloud.Cloud, a cloud.Auth) {
	if addr := c.RTMPAddr(); addr != "" {
		fmt.Fprintf(w, "rtmp   rtmp://%s/live/STREAM (auth %s)\n", addr, a)
	}
	if addr := c.HTTPAddr(); addr != "" {
		fmt.Fprintf(w, "http   http://%s/v1\n", addr)
	}
	if addr := c.RTPAddr(); addr != "" {
		fmt.Fprintf(w, "rtp    udp://%s\n", addr)
	}
}
