package push

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// cloudRig is an SDK pushing to the embedded mock cloud's RTMP ingest
// (loopback TCP) on a fake clock, both observing into one log.
type cloudRig struct {
	*rig
	cloud *cloud.Cloud
	gc    *gatedConn
}

func newCloudRig(t testing.TB, codec av.Codec, opts Options) *cloudRig {
	t.Helper()
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	log := &obsLog{}
	c := cloud.New(cloud.Config{HTTPAddr: "off", RTPAddr: "off"}, clk, log)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cr := &cloudRig{cloud: c}
	r := &rig{t: t, clk: clk, log: log, cbs: &callbacks{}, sh: quickstart(t, codec)}
	opts.AudioConfig = r.sh.AudioConfig
	opts.Device = 1
	r.opts = opts
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cr.gc = &gatedConn{Conn: nc}
		return cr.gc, nil
	}
	r.sdk = New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(3, 4)), Sink: log, Dial: dial, Receipts: c}, opts)
	if err := r.sdk.Initialize(units.MiB, 2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.sdk.Uninitialize()
		c.Close()
	})
	cr.rig = r
	return cr
}

func (cr *cloudRig) connect() {
	cr.t.Helper()
	id, err := cr.sdk.Connect(cr.cloud.PublishURL("live", "cam-0001"), "", cr.cbs.cb)
	if err != nil {
		cr.t.Fatal(err)
	}
	cr.id = id
	waitFor(cr.t, "connect", func() bool { return len(cr.cbs.events()) > 0 })
	if ev := cr.cbs.events()[0]; ev != EventConnectSuccess {
		cr.t.Fatalf("connect: %v", ev)
	}
}

// fates checks the accounting identity: every frame sent has at most one
// fate, and the number without one is returned.
func fates(t tLike, obs []observe.Observation) (sent, delivered, dropped, lost, rejected, inFlight int) {
	t.Helper()
	type key struct {
		s   observe.Stream
		seq uint64
	}
	fate := map[key]observe.Kind{}
	sentSet := map[key]bool{}
	for _, o := range obs {
		k := key{o.Stream, o.Seq}
		switch o.Kind {
		case observe.FrameSent:
			sent++
			sentSet[k] = true
		case observe.FrameDelivered, observe.FrameDropped, observe.FrameLost, observe.FrameRejected:
			if prev, dup := fate[k]; dup {
				t.Errorf("frame %v has two fates: %v and %v (%s)", k, prev, o.Kind, o.Reason)
			}
			fate[k] = o.Kind
			switch o.Kind {
			case observe.FrameDelivered:
				delivered++
			case observe.FrameDropped:
				dropped++
			case observe.FrameLost:
				lost++
			default:
				rejected++
			}
		}
	}
	for k := range fate {
		if !sentSet[k] {
			t.Errorf("fate for a frame never sent: %v", k)
		}
	}
	inFlight = sent - delivered - dropped - lost - rejected
	return
}

// TestRP7 cuts the connection under the SDK: the send failure is 0x60
// (send-thread-exit), queued frames are dropped, frames written to the dead
// connection that the cloud never accounted are lost after the grace
// period, and the identity sent = delivered + dropped + lost + rejected
// holds with nothing left in flight. Reconnection (the firmware's backoff)
// is in sim/device's TestRP7.
func TestRP7(t *testing.T) {
	cr := newCloudRig(t, av.H264, Options{LostGrace: 2 * time.Second})
	cr.connect()
	fs := frames(t, cr.sh, 1, 1, 6*time.Second)
	if err := cr.sdk.SendMetadata(cr.id, MetaStreamStart, int64(TriggerMoveDetect), 0); err != nil {
		t.Fatal(err)
	}
	third := len(fs) / 3
	for _, f := range fs[:third] {
		_ = cr.sdk.SendFrame(cr.id, f)
	}
	cr.idle()
	waitFor(t, "cloud delivered the first part", func() bool {
		_, d, _, _, _, _ := fates(t, cr.log.all())
		return d == third
	})
	// the uplink stalls, frames queue; the cloud drops the connection
	cr.gc.hold()
	for _, f := range fs[third : 2*third] {
		_ = cr.sdk.SendFrame(cr.id, f)
	}
	cr.cloud.DropConnections()
	cr.gc.release()
	waitFor(t, "0x60", func() bool { return cr.cbs.has(EventSendThreadExit) })
	for _, f := range fs[2*third:] {
		if err := cr.sdk.SendFrame(cr.id, f); err == nil {
			t.Fatal("frame accepted on a dead connection")
		}
	}
	sent, _, _, _, _, inFlight := fates(t, cr.log.all())
	if sent != len(fs) {
		t.Fatalf("sent %d of %d", sent, len(fs))
	}
	if inFlight == 0 {
		t.Log("every written frame was accounted before the grace period")
	}
	waitFor(t, "lost check armed", func() bool { return cr.clk.Pending() > 0 })
	cr.clk.Advance(2 * time.Second)
	waitFor(t, "nothing in flight", func() bool {
		_, _, _, _, _, n := fates(t, cr.log.all())
		return n == 0
	})
	sent, delivered, dropped, lost, rejected, _ := fates(t, cr.log.all())
	t.Logf("sent %d delivered %d dropped %d lost %d rejected %d", sent, delivered, dropped, lost, rejected)
	if dropped == 0 || cr.log.count(observe.FrameDropped, observe.ReasonConnReset) == 0 {
		t.Error("no queued frame dropped by the connection loss")
	}
	if evs := cr.cbs.events(); len(evs) != 2 || evs[1] != EventSendThreadExit {
		t.Errorf("callbacks %v", evs)
	}
	if cr.log.count(observe.ConnClosed, "send_thread_exit") != 1 {
		t.Error("no ConnClosed send_thread_exit")
	}
	if cr.log.count(observe.SegmentEnded, observe.ReasonConnReset) != 1 {
		t.Error("the open segment did not end with the connection")
	}
}

// TestRP9 pushes H.265 both ways CDNs carry it — legacy FLV codec id 12 and
// Enhanced RTMP 'hvc1' — and H.264, into the mock cloud's ingest: every
// frame must be verified and delivered.
func TestRP9(t *testing.T) {
	for _, c := range []struct {
		codec av.Codec
		mode  flv.HEVCMode
		want  string
	}{
		{av.H265, flv.HEVCLegacy, "h265"},
		{av.H265, flv.HEVCEnhanced, "h265"},
		{av.H264, flv.HEVCLegacy, "h264"},
	} {
		t.Run(fmt.Sprintf("%v-%v", c.codec, c.mode), func(t *testing.T) {
			cr := newCloudRig(t, c.codec, Options{HEVC: c.mode})
			cr.connect()
			fs := frames(t, cr.sh, 1, 2, 3*time.Second)
			for _, f := range fs {
				if err := cr.sdk.SendFrame(cr.id, f); err != nil {
					t.Fatal(err)
				}
			}
			cr.idle()
			waitFor(t, "all delivered", func() bool {
				_, d, _, _, _, _ := fates(t, cr.log.all())
				return d == len(fs)
			})
			snap := cr.cloud.Snapshot()
			if len(snap.Streams) != 1 || snap.Streams[0].VideoCodec != c.want {
				t.Errorf("cloud streams %+v", snap.Streams)
			}
		})
	}
	// the carriage on the wire, as recorded by a plain RTMP server
	for _, mode := range []flv.HEVCMode{flv.HEVCLegacy, flv.HEVCEnhanced} {
		r := newRig(t, av.H265, Options{HEVC: mode})
		r.connect()
		for _, f := range frames(t, r.sh, 1, 2, time.Second) {
			_ = r.sdk.SendFrame(r.id, f)
		}
		r.idle()
		waitFor(t, "recorded", func() bool { return len(r.rec.messages()) > 10 })
		var vt flv.VideoTag
		seen := 0
		for _, m := range r.rec.messages() {
			if m.Type != 9 {
				continue
			}
			if err := vt.Unmarshal(m.Payload); err != nil {
				t.Fatal(err)
			}
			seen++
			legacy := m.Payload[0]&0x0f == flv.CodecIDHEVC && m.Payload[0]&0x80 == 0
			enhanced := m.Payload[0]&0x80 != 0 && string(m.Payload[1:5]) == "hvc1"
			if vt.Codec != av.H265 || (mode == flv.HEVCLegacy && !legacy) || (mode == flv.HEVCEnhanced && !enhanced) {
				t.Fatalf("%v: tag % x… is not that carriage", mode, m.Payload[:5])
			}
		}
		r.rec.mu.Lock()
		fourCC := r.rec.connects[0].FourCCList
		r.rec.mu.Unlock()
		if (mode == flv.HEVCEnhanced) != (len(fourCC) > 0 && fourCC[0] == "hvc1") {
			t.Errorf("%v: connect advertised fourCcList %v", mode, fourCC)
		}
		if seen == 0 {
			t.Errorf("%v: no video recorded", mode)
		}
	}
}
