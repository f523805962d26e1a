package runner

import (
	"context"
	"errors"
	"fmt"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"net"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/device"
	"github.com/fleetsim/fleetsim/sim/device/push"
	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// schedule arms the ramp (one timer per device start) and the timeline.
func (r *run) schedule(ctx context.Context, start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.devs {
		d := &r.devs[i]
		r.timers = append(r.timers, r.clk.AfterFunc(d.Start, func() { r.startDevice(ctx, d) }))
	}
	for entry, e := range r.sc.Timeline {
		entry, e := entry, e
		r.timers = append(r.timers, r.clk.AfterFunc(e.At.D(), func() { r.apply(entry, e) }))
	}
}

// startDevice builds and starts one device with its link and cloud client.
func (r *run) startDevice(ctx context.Context, d *scenarios.Device) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	g := r.sc.Group(d.Group)
	p := r.sc.Profiles[d.Profile]
	dr := &deviceRun{spec: d}
	// nil dial: real sockets through a net.Dialer
	var dial httpapi.DialFunc = r.dial
	var link device.Link
	if d.Network != "" {
		l, err := network.New(network.Options{Clock: r.clk, Seed: r.sc.Seed, Device: d.ID, Profile: r.networks[d.Network],
			Traces: r.traces, Dial: r.dial, Quantum: r.o.linkQuantum()})
		if err != nil {
			r.deviceFailed(d, "link: "+err.Error())
			return
		}
		dr.link, dial, link = l, l.Dial, l
	}
	media := r.media[d.Profile]
	cfg := device.Config{Index: d.Index, ID: d.ID, RunSeed: r.sc.Seed, Media: media,
		Firmware: firmwareConfig(g, d), LiveView: liveViewConfig(p)}
	deps := device.Deps{Clock: r.clk, Sink: r.sink, Link: link, Packs: r.packs, Bodies: r.bodies}
	var client *httpapi.Client
	if base := r.apiBase(); base != "" {
		opts := httpapi.Options{Dial: dial}
		if !r.external() && p.SDK.Kind != scenarios.SDKRTMPPush {
			// a cloud-storage camera's connections to its API are its
			// connection attempts (a push camera's SDK counts its own)
			opts.OnDial, opts.OnDialFailed = r.connAttempt(d.Index), r.connFailed(d.Index)
		}
		c, err := httpapi.New(base, opts)
		if err != nil {
			r.deviceFailed(d, "client: "+err.Error())
			return
		}
		client, dr.client = c, c
		deps.Storage, deps.LiveView = c, c
		if r.httpTarget() && r.cloud != nil {
			// live view still goes to the embedded relay
			if lc, err := httpapi.New(r.cloud.BaseURL(), httpapi.Options{Dial: dial}); err == nil {
				deps.LiveView = lc
			}
		}
	}
	if dial != nil {
		deps.DialUDP = device.UDPDial(dial)
	} else {
		var nd net.Dialer
		deps.DialUDP = nd.DialContext
	}
	switch {
	case r.external():
		// the push SDK publishes to the target; its probe (if any) tells
		// which frames the target passed on
		pc := pushConfig(p, g, publishURL(r.sc.Target, d))
		pc.Options.Signer = signer(r.sc.Target.Auth, r.o.Getenv)
		pc.Options.SignTTL = r.sc.Target.Auth.TTL.D()
		cfg.Push = &pc
		deps.Storage = nil
		if pr := r.startProbe(d); pr != nil {
			deps.Receipts = pr
		}
		if dial != nil {
			deps.PushDial = push.Dial(dial)
		}
	case p.SDK.Kind == scenarios.SDKRTMPPush:
		// the push SDK publishes to the embedded cloud's RTMP ingest; the
		// cloud tells which frames it accounted (lost-frame decision)
		pc := pushConfig(p, g, r.cloud.SignedPublishURL("live", d.ID, r.clk.Now().Add(7*24*time.Hour)))
		cfg.Push = &pc
		deps.Storage, deps.Tokens, deps.Receipts = nil, client, r.cloud
		if dial != nil {
			deps.PushDial = push.Dial(dial)
		}
	default:
		cs := cloudStorageConfig(p, g, d, media.Profile.Audio.Codec)
		if r.httpTarget() {
			// an external API reports no frame fates: the SDK takes them
			// from its receipts; the device's plan is asked for there
			cs.AccountOnReceipt = true
			r.offerPlan(client, d, max(1, p.Channels))
		}
		cfg.CloudStorage = &cs
	}
	dev, err := device.New(cfg, deps)
	if err != nil {
		r.deviceFailed(d, err.Error())
		return
	}
	dr.dev = dev
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.running[d.Index] = dr
	r.mu.Unlock()
	if err := dev.Start(ctx); err != nil {
		r.deviceFailed(d, err.Error())
	}
}

// connAttempt observes a connection attempt of device idx as its dial
// begins.
func (r *run) connAttempt(idx int) func() {
	return func() {
		r.sink.Observe(observe.Observation{At: r.clk.Now(), Kind: observe.ConnAttempt, Device: idx})
	}
}

// connFailed observes the failure of a dial of device idx (stage "dial":
// refused, reset or timed out on its link, or no route); a dial our own
// shutdown cancelled is not a failure.
func (r *run) connFailed(idx int) func(error) {
	return func(err error) {
		if !errors.Is(err, context.Canceled) {
			r.sink.Observe(observe.Observation{At: r.clk.Now(), Kind: observe.ConnFailed, Device: idx, Reason: "dial"})
		}
	}
}

// apiBase is the cloud-storage API the devices use: the external target's
// or the embedded cloud's ("" when there is neither).
func (r *run) apiBase() string {
	if r.httpTarget() {
		return r.sc.Target.URL
	}
	if r.cloud != nil {
		return r.cloud.BaseURL()
	}
	return ""
}

// offerPlan asks an external API to give the device its planned plan (the
// mock cloud's PUT plan route, API.md). A backend without the route keeps
// its own plans: the refusal is reported once per run, not per device.
func (r *run) offerPlan(c *httpapi.Client, d *scenarios.Device, channels int) {
	if c == nil {
		return
	}
	kind := d.Plan
	for ch := 0; ch < channels; ch++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.SetPlan(ctx, d.ID, ch, httpapi.PlanBody{Kind: kind, Valid: kind != cloudapi.PlanNone})
		cancel()
		if err != nil {
			r.planOnce.Do(func() {
				fmt.Fprintf(r.o.Out, "fleetsim: the HTTP target did not take the planned plans (%v); devices keep the plans it has\n", err)
			})
			return
		}
	}
}

// deviceFailed records a device that could not start: failures are data.
func (r *run) deviceFailed(d *scenarios.Device, why string) {
	r.sink.Observe(observe.Observation{At: r.clk.Now(), Kind: observe.DeviceStopped, Device: d.Index, Reason: "start_failed: " + why})
	fmt.Fprintf(r.o.Out, "fleetsim: device %s did not start: %s\n", d.ID, why)
}

// apply plays one timeline entry on the devices it selects (this shard's
// running ones) or on the cloud.
func (r *run) apply(entry int, e *scenarios.Event) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	var targets []*deviceRun
	var selected []int
	if e.Cloud == nil {
		for _, idx := range r.plan.Select(e, entry) {
			selected = append(selected, idx)
			if dr, ok := r.running[idx]; ok {
				targets = append(targets, dr)
			}
		}
	}
	r.mu.Unlock()
	switch {
	case e.Network != nil:
		var prof *network.Profile
		if e.Network.Profile != "" {
			p := r.networks[e.Network.Profile]
			prof = &p
		}
		for _, dr := range targets {
			if dr.link == nil {
				continue
			}
			if e.Network.Outage > 0 {
				dr.link.Outage(e.Network.Outage.D())
			}
			if prof != nil {
				_ = dr.link.SetProfile(*prof)
			}
		}
	case e.Cloud != nil && r.cloud == nil, e.Plan != nil && r.cloud == nil:
		fmt.Fprintf(r.o.Out, "fleetsim: timeline entry %d acts on the embedded cloud, which this run (target %s) does not use: ignored\n", entry, r.sc.Target.Kind)
	case e.Cloud != nil:
		r.applyCloud(e.Cloud)
	case e.Plan != nil:
		var kinds map[int]cloudapi.PlanKind
		if len(e.Plan.Set) > 0 {
			kinds = r.plan.DealPlans(e.Plan.Set, selected, entry)
		}
		for _, idx := range selected {
			if !r.o.Shard.Has(idx) {
				continue
			}
			d := &r.plan.Devices[idx]
			p := r.sc.Profiles[d.Profile]
			for ch := 0; ch < max(1, p.Channels); ch++ {
				cur := r.cloud.Plan(d.ID, ch)
				if k, ok := kinds[idx]; ok {
					cur = cloudPlan(k, r.sc.Group(d.Group).FreeTrial.D())
				}
				if e.Plan.Expire {
					cur.Valid = false
				}
				r.cloud.SetPlan(d.ID, ch, cur)
			}
		}
	case e.Clock != nil:
		for _, dr := range targets {
			if e.Clock.Correct {
				dr.dev.SetClockOffset(0)
			}
			if e.Clock.Step != 0 {
				dr.dev.CorrectClock(time.Duration(e.Clock.Step))
			}
		}
	case e.Reboot != nil:
		for _, dr := range targets {
			down := e.Reboot.Downtime.Sample(rng.New(r.sc.Seed, dr.spec.ID, "timeline-reboot", fmt.Sprint(entry)))
			dr.dev.Reboot(down)
		}
	}
}

// applyCloud switches a mock-cloud fault, reverting it after For.
func (r *run) applyCloud(f *scenarios.CloudFault) {
	c := r.cloud
	before := c.Faults()
	if f.Clear {
		c.SetFaults(cloud.FaultSettings{})
		return
	}
	s := before
	if len(f.ErrorRate) > 0 {
		s.ErrorRate = map[cloud.Route]float64{}
		for k, v := range before.ErrorRate {
			s.ErrorRate[k] = v
		}
		for route, rate := range f.ErrorRate {
			for _, cr := range cloudRoutes(route) {
				s.ErrorRate[cr] = float64(rate)
			}
		}
	}
	if f.Latency > 0 {
		s.ReplyLatency = f.Latency.D()
	}
	if f.RefuseConnections {
		s.Refuse = true
	}
	if f.MaxConnections > 0 {
		s.MaxConns = f.MaxConnections
	}
	if f.Bandwidth > 0 {
		s.Bandwidth = f.Bandwidth
	}
	c.SetFaults(s)
	if f.DropConnections {
		c.DropConnections()
	}
	if f.Restart > 0 {
		if err := c.Restart(f.Restart.D()); err != nil {
			fmt.Fprintf(r.o.Out, "fleetsim: cloud restart: %v\n", err)
		}
	}
	if f.For > 0 {
		r.mu.Lock()
		r.timers = append(r.timers, r.clk.AfterFunc(f.For.D(), func() { c.SetFaults(before) }))
		r.mu.Unlock()
	}
}

// cloudRoutes maps a scenario route name to the mock cloud's routes.
func cloudRoutes(name string) []cloud.Route {
	switch name {
	case "all":
		return []cloud.Route{cloud.RouteAll}
	case "rtmp":
		return []cloud.Route{cloud.RoutePublish}
	case "backfill":
		return []cloud.Route{cloud.RouteSlice} // backfills are slice uploads
	}
	return []cloud.Route{cloud.Route(name)}
}
