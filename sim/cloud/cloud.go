// Package cloud is fleetsim's mock cloud: an RTMP ingest with the auth
// schemes and status codes of real CDNs, the HTTP cloud-storage API of
// API.md, a live-view RTP relay, publish/recording/snapshot webhooks and
// cloud-side faults — embedded in a run, or standalone (`fleetsim cloud`).
//
// Everything it verifies becomes an observation: every frame it receives
// gets exactly one fate from it (FrameDelivered with its latency, or
// FrameRejected with a reason), overwritten storage ranges become
// SliceOverwritten, live-view sessions LiveViewReport. Faults are switched at
// run time by the scenario runner through the methods of Cloud.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Cloud is one mock cloud node.
type Cloud struct {
	cfg  Config
	clk  clock.Clock
	sink observe.Sink

	plans  *plans
	index  *storageIndex
	faults *faults
	gate   *gate
	tokens *tokenStore
	stats  *counters
	hooks  *webhooks
	ingest *ingest
	relay  *relay
	parser SliceParser
	// stampReader reads video stamps on the RTMP path
	stampReader StampReader
	ledger      sliceLedger
	infos       infoPool // results of streamed slice uploads

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	started   bool
	closed    bool
	down      bool
	downTimer clock.Timer
	// resolved listen addresses (fixed at the first Start so a restart
	// comes back on the same ports)
	httpAddr, rtmpAddr, rtpAddr string
	httpLn, rtmpLn              net.Listener
	httpSrv                     *httpServer
}

// New builds a cloud; it listens nothing until Start.
func New(cfg Config, clk clock.Clock, sink observe.Sink) *Cloud {
	cfg.defaults()
	if sink == nil {
		sink = observe.Discard{}
	}
	c := &Cloud{cfg: cfg, clk: clk, sink: sink}
	c.plans = newPlans(clk, cfg.DefaultPlan)
	c.index = newStorageIndex(cfg.IndexRetention)
	c.faults = &faults{rnd: rng.New(cfg.Seed, "cloud", "faults")}
	c.gate = newGate(clk, c.faults)
	c.tokens = newTokenStore(clk, rng.New(cfg.Seed, "cloud", "tokens"), cfg.TokenTTL)
	c.stats = newCounters()
	c.stampReader = readNALUStamp
	c.parser = cfg.SliceParser
	if c.parser == nil {
		c.parser = MediaSliceParser{}
	}
	return c
}

// Start listens on the configured addresses and serves until Close. The
// context ends the cloud's background work too.
func (c *Cloud) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return errors.New("cloud: already started")
	}
	c.started = true
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.hooks = newWebhooks(c.ctx, c.clk, c.cfg.Webhook)
	c.httpAddr = listenAddr(c.cfg.HTTPAddr)
	c.rtmpAddr = listenAddr(c.cfg.RTMPAddr)
	c.rtpAddr = listenAddr(c.cfg.RTPAddr)
	if c.rtpAddr != "" {
		r, err := startRelay(c.ctx, c.rtpAddr, c.clk, c.sink, &c.cfg, c.stats)
		if err != nil {
			c.cancel()
			return err
		}
		c.relay = r
		c.rtpAddr = r.addr()
	}
	if c.rtmpAddr != "" {
		c.ingest = newIngest(c)
	}
	if err := c.listenLocked(); err != nil {
		c.cancel()
		if c.relay != nil {
			c.relay.close()
		}
		return err
	}
	return nil
}

func listenAddr(a string) string {
	switch a {
	case "off":
		return ""
	case "":
		return "127.0.0.1:0"
	}
	return a
}

// listenLocked opens the TCP listeners and starts serving. mu held.
func (c *Cloud) listenLocked() error {
	if c.httpAddr != "" {
		ln, err := c.cfg.Listen("tcp", c.httpAddr)
		if err != nil {
			return fmt.Errorf("cloud: http listen: %w", err)
		}
		c.httpAddr = ln.Addr().String()
		c.httpLn = c.gate.wrap(ln)
		if c.httpSrv == nil {
			c.httpSrv = newHTTPServer(c)
		}
		srv := c.httpSrv
		l := c.httpLn
		c.wg.Add(1)
		go func() { defer c.wg.Done(); srv.serve(l) }()
	}
	if c.rtmpAddr != "" {
		ln, err := c.cfg.Listen("tcp", c.rtmpAddr)
		if err != nil {
			if c.httpLn != nil {
				c.httpLn.Close()
			}
			return fmt.Errorf("cloud: rtmp listen: %w", err)
		}
		c.rtmpAddr = ln.Addr().String()
		c.rtmpLn = c.gate.wrap(ln)
		l := c.rtmpLn
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.ingest.serve(c.ctx, l) }()
	}
	return nil
}

// Close stops everything the cloud runs and waits for it.
func (c *Cloud) Close() error {
	c.mu.Lock()
	if c.closed || !c.started {
		c.closed = true
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.downTimer != nil {
		c.downTimer.Stop()
	}
	c.cancel()
	c.closeListenersLocked()
	c.mu.Unlock()
	c.gate.dropAll()
	if c.httpSrv != nil {
		c.httpSrv.close()
	}
	c.wg.Wait()
	if c.ingest != nil {
		c.ingest.wait()
	}
	if c.relay != nil {
		c.relay.close()
	}
	c.hooks.close()
	return nil
}

func (c *Cloud) closeListenersLocked() {
	if c.httpLn != nil {
		c.httpLn.Close()
		c.httpLn = nil
	}
	if c.rtmpLn != nil {
		c.rtmpLn.Close()
		c.rtmpLn = nil
	}
}

// HTTPAddr is the address of the HTTP API ("" when off).
func (c *Cloud) HTTPAddr() string { c.mu.Lock(); defer c.mu.Unlock(); return c.httpAddr }

// RTMPAddr is the address of the RTMP ingest ("" when off).
func (c *Cloud) RTMPAddr() string { c.mu.Lock(); defer c.mu.Unlock(); return c.rtmpAddr }

// RTPAddr is the address of the live-view UDP relay ("" when off).
func (c *Cloud) RTPAddr() string { c.mu.Lock(); defer c.mu.Unlock(); return c.rtpAddr }

// BaseURL is http://HTTPAddr.
func (c *Cloud) BaseURL() string { return "http://" + c.HTTPAddr() }

// PublishURL is rtmp://RTMPAddr/app/stream (without auth parameters; see
// SignedPublishURL).
func (c *Cloud) PublishURL(app, stream string) string {
	return "rtmp://" + c.RTMPAddr() + "/" + app + "/" + stream
}

// SetPlan changes the plan of a device channel; devices long-polling it
// learn the change at once, others at their next poll (CS2).
func (c *Cloud) SetPlan(device string, channel int, p cloudapi.Plan) cloudapi.Plan {
	return c.plans.Set(chanKey{device, channel}, p)
}

// Plan returns the plan of a device channel.
func (c *Cloud) Plan(device string, channel int) cloudapi.Plan {
	return c.plans.Get(chanKey{device, channel})
}

// SetFaults replaces every fault setting at once.
func (c *Cloud) SetFaults(s FaultSettings) { c.faults.set(s) }

// Faults returns the fault settings in force.
func (c *Cloud) Faults() FaultSettings { return c.faults.get() }

// SetErrorRate sets the probability p (0–1) that a request on route r fails
// with 503 unavailable (RTMP publish: refused).
func (c *Cloud) SetErrorRate(r Route, p float64) {
	c.faults.update(func(s *FaultSettings) { s.ErrorRate[r] = p })
}

// SetReplyLatency adds d before every reply.
func (c *Cloud) SetReplyLatency(d time.Duration) {
	c.faults.update(func(s *FaultSettings) { s.ReplyLatency = d })
}

// RefuseConnections makes the cloud close new connections at accept.
func (c *Cloud) RefuseConnections(on bool) { c.faults.update(func(s *FaultSettings) { s.Refuse = on }) }

// SetConnectionCap caps concurrent connections (0: no cap).
func (c *Cloud) SetConnectionCap(n int) { c.faults.update(func(s *FaultSettings) { s.MaxConns = n }) }

// SetBandwidth caps the cloud's total receive rate (0: no cap).
func (c *Cloud) SetBandwidth(b units.Bitrate) {
	c.faults.update(func(s *FaultSettings) { s.Bandwidth = b })
}

// DropConnections closes every open connection (HTTP and RTMP) and returns
// how many were closed. New connections are accepted as before.
func (c *Cloud) DropConnections() int {
	n := c.gate.dropAll()
	c.cfg.Logf("cloud: dropped %d connections", n)
	return n
}

// Restart takes the cloud down for down (listeners closed, every
// connection dropped, live streams ended) and brings it back on the same
// addresses after down on the cloud's clock. Storage and plans survive.
func (c *Cloud) Restart(down time.Duration) error {
	c.mu.Lock()
	if !c.started || c.closed {
		c.mu.Unlock()
		return errors.New("cloud: not running")
	}
	if c.down {
		c.mu.Unlock()
		return errors.New("cloud: already down")
	}
	c.down = true
	c.stats.restarts.Add(1)
	c.closeListenersLocked()
	c.mu.Unlock()
	n := c.gate.dropAll()
	c.cfg.Logf("cloud: restart: down for %v, %d connections dropped", down, n)
	up := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.down = false
		c.downTimer = nil
		if c.closed {
			return
		}
		if err := c.listenLocked(); err != nil {
			c.cfg.Logf("cloud: restart: %v", err)
			c.stats.restartFailures.Add(1)
		}
	}
	if down <= 0 {
		up()
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.downTimer = c.clk.AfterFunc(down, up)
	}
	return nil
}

// Down reports whether the cloud is in the down time of a restart.
func (c *Cloud) Down() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.down }

// device maps a device id to its fleet index for observations.
func (c *Cloud) device(id string) int { return c.cfg.DeviceIndex(id) }
