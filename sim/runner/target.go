package runner

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/device"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// This file is the external RTMP target (target.kind: rtmp): each push
// device publishes to the URL template with its id, signed per
// target.auth; a seeded share of the devices (target.probe) is played
// back from the target by a cloud.Probe that verifies every frame as the
// embedded ingest would and is the device's Receipts. Frames of unprobed
// devices have no one to report their fate: they stay in flight.

// probeDrain is how long a probe must have been quiet, after its device
// stopped, before the run ends it (frames still crossing the target).
const probeDrain = time.Second

// probeReadyWait bounds how long a device start waits for its probe's
// first play (the probe keeps trying after that).
const probeReadyWait = 5 * time.Second

// checkExternal refuses the external targets and combinations this
// build cannot run exactly.
func checkExternal(sc *scenarios.Scenario, getenv func(string) string) error {
	t := sc.Target
	switch t.Kind {
	case "", scenarios.TargetEmbedded:
		return nil
	case "http":
		return checkHTTPTarget(sc)
	case "rtmp":
	default:
		return fmt.Errorf("runner: target kind %q is not supported", t.Kind)
	}
	if !strings.Contains(t.URL, "{device}") {
		return fmt.Errorf("runner: target.url %q has no {device}: every device needs its own stream", t.URL)
	}
	if t.Auth.Scheme != "" && t.Auth.Scheme != "none" && getenv(t.Auth.KeyEnv) == "" {
		return fmt.Errorf("runner: target.auth.key_env: environment variable %s is unset or empty; it must hold the %s key", t.Auth.KeyEnv, t.Auth.Scheme)
	}
	names := make([]string, 0, len(sc.Profiles))
	for name := range sc.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := sc.Profiles[name]
		if p.SDK.Kind != scenarios.SDKRTMPPush {
			return fmt.Errorf("runner: profile %s: SDK kind %q cannot use an RTMP target (only rtmp-push)", name, p.SDK.Kind)
		}
		if c := p.SDK.Connect; c != "" && c != device.ConnectURL {
			return fmt.Errorf("runner: profile %s: connect mode %q gets its URL from the token server; with an RTMP target the devices connect by url", name, c)
		}
	}
	return nil
}

// needCloud tells whether the run starts the embedded cloud: always for
// the embedded target; for an RTMP target only as the live-view relay.
func (r *run) needCloud() bool {
	if !r.external() && !r.httpTarget() {
		return true
	}
	for i := range r.sc.Fleet {
		if r.sc.Fleet[i].LiveView != nil {
			return true
		}
	}
	return false
}

func (r *run) external() bool { return r.sc.Target.Kind == "rtmp" }

// httpTarget: cloud-storage devices upload to an external API (sim/cloud/
// API.md) at target.url; the SDK accounts frames from its receipts.
func (r *run) httpTarget() bool { return r.sc.Target.Kind == "http" }

// checkHTTPTarget refuses an HTTP target the run cannot use.
func checkHTTPTarget(sc *scenarios.Scenario) error {
	u, err := url.Parse(sc.Target.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("runner: target.url %q: an HTTP target needs the API's base URL, http(s)://host:port", sc.Target.URL)
	}
	names := make([]string, 0, len(sc.Profiles))
	for name := range sc.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if k := sc.Profiles[name].SDK.Kind; k != scenarios.SDKCloudStorage {
			return fmt.Errorf("runner: profile %s: SDK kind %q cannot use an HTTP target (only cloud-storage)", name, k)
		}
	}
	return nil
}

// publishURL is a device's stream URL from the template.
func publishURL(t scenarios.Target, d *scenarios.Device) string {
	return strings.NewReplacer("{device}", url.PathEscape(d.ID), "{group}", url.PathEscape(d.Group)).Replace(t.URL)
}

// signer is the push SDK's URL signer for target.auth (nil: none).
func signer(a scenarios.Auth, getenv func(string) string) ingestauth.Signer {
	key := ""
	if a.KeyEnv != "" {
		key = getenv(a.KeyEnv)
	}
	switch a.Scheme {
	case "kingsoft":
		return ingestauth.Kingsoft{Key: key}
	case "tencent":
		return ingestauth.Tencent{Key: key}
	case "token":
		return tokenSigner(key)
	}
	return nil
}

// tokenSigner puts the opaque token of external auth on the URL
// (?token=…); the ingest's callback decides.
type tokenSigner string

func (s tokenSigner) Sign(string, time.Time) url.Values { return url.Values{"token": {string(s)}} }

// probed picks the devices played back: round(probe × fleet) of the whole
// fleet (not the shard, so shards agree), drawn from the seed; 100% is
// every device.
func probed(sc *scenarios.Scenario, plan *scenarios.FleetPlan) map[int]bool {
	n := len(plan.Devices)
	k := int(math.Round(float64(sc.Target.Probe) * float64(n)))
	if k <= 0 {
		return nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = plan.Devices[i].Index
	}
	rnd := rng.New(sc.Seed, "target-probe")
	rnd.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	out := make(map[int]bool, k)
	for _, i := range idx[:min(k, n)] {
		out[i] = true
	}
	return out
}

// startProbe starts the probe of device d and waits (bounded) until it
// plays, so the device's first frame is seen; nil when d is unprobed.
func (r *run) startProbe(d *scenarios.Device) *cloud.Probe {
	if !r.probeSet[d.Index] {
		return nil
	}
	p, err := cloud.NewProbe(cloud.ProbeConfig{URL: publishURL(r.sc.Target, d), Device: d.Index,
		Clock: r.clk, Sink: r.sink})
	if err != nil {
		fmt.Fprintf(r.o.Out, "fleetsim: probe of %s: %v\n", d.ID, err)
		return nil
	}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	r.probes[d.Index] = p
	r.mu.Unlock()
	p.Start(r.probeCtx)
	t := r.clk.NewTimer(probeReadyWait)
	defer t.Stop()
	select {
	case <-p.Ready():
	case <-t.C():
		fmt.Fprintf(r.o.Out, "fleetsim: probe of %s is not playing yet (%s); the device starts anyway\n", d.ID, p.Stats().LastErr)
	case <-r.probeCtx.Done():
	}
	return p
}

// drainProbes lets the probes receive what their stopped devices sent
// (until each has been quiet for probeDrain, at most the grace period),
// then ends them.
func (r *run) drainProbes() {
	r.mu.Lock()
	probes := make([]*cloud.Probe, 0, len(r.probes))
	for _, p := range r.probes {
		probes = append(probes, p)
	}
	r.mu.Unlock()
	if len(probes) > 0 {
		deadline := r.clk.Now().Add(r.o.Grace)
		poll := r.clk.NewTicker(100 * time.Millisecond)
		quietSince := r.clk.Now()
		for {
			now := r.clk.Now()
			quiet := true
			for _, p := range probes {
				if last := p.LastMedia(); now.Sub(maxTime(last, quietSince)) < probeDrain {
					quiet = false
					break
				}
			}
			if quiet || !now.Before(deadline) {
				break
			}
			select {
			case <-poll.C():
			case <-r.o.Interrupts:
				deadline = now
			}
		}
		poll.Stop()
	}
	r.cancelProbes()
	for _, p := range probes {
		<-p.Done()
	}
	if r.external() {
		var plays, fails int
		var st cloud.StreamStats
		for _, p := range probes {
			s := p.Stats()
			plays += s.Plays
			fails += s.PlayFails
			st.Delivered += s.Stream.Delivered
			st.Rejected += s.Stream.Rejected
			st.Unattributed += s.Stream.Unattributed
		}
		fmt.Fprintf(r.o.Out, "fleetsim: probes: %d of %d devices played back (%d plays, %d failed to start): %d frames delivered, %d rejected, %d unattributed; the frames of the %d unprobed devices stay in flight (no fate is reported for them)\n",
			len(probes), len(r.devs), plays, fails, st.Delivered, st.Rejected, st.Unattributed, len(r.devs)-len(probes))
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// teeSink gives every observation to each sink in turn.
type teeSink []observe.Sink

func (t teeSink) Observe(o observe.Observation) {
	for _, s := range t {
		s.Observe(o)
	}
}

func authName(a scenarios.Auth) string {
	if a.Scheme == "" {
		return "none"
	}
	return a.Scheme
}
