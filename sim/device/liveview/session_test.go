package liveview

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type obsLog struct {
	mu  sync.Mutex
	obs []observe.Observation
}

func (l *obsLog) Observe(o observe.Observation) { l.mu.Lock(); l.obs = append(l.obs, o); l.mu.Unlock() }
func (l *obsLog) all() []observe.Observation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]observe.Observation(nil), l.obs...)
}

func frames(t testing.TB, codec av.Codec, d time.Duration) []*av.Frame {
	t.Helper()
	sh, err := source.NewShared(source.Profile{
		Video: source.VideoConfig{Codec: codec, Width: 640, Height: 360, FPS: 15, GOP: 30, Bitrate: 512 * units.Kbps, IPRatio: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(clock.Epoch())
	var out []*av.Frame
	src := source.New(sh, 3, clk, rand.New(rand.NewPCG(1, 1)), source.SinkFunc(func(f *av.Frame, _ time.Duration) { out = append(out, f) }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src.Start(ctx)
	clk.Advance(d)
	src.Stop()
	return out
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPacketization sends H.264 and H.265 through a session to a plain UDP
// socket and reads it back with pion's depacketizers: the NAL units of
// every frame come back intact, packets fit the MTU, the marker ends each
// frame, sequence numbers run on and timestamps follow the 90 kHz clock.
func TestPacketization(t *testing.T) {
	for _, codec := range []av.Codec{av.H264, av.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			ln, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			conn, err := net.Dial("udp", ln.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFake(clock.Epoch())
			log := &obsLog{}
			s, err := Start(Config{Codec: codec, SSRC: 0xabcdef, MTU: 1200}, Deps{Clock: clk, Rand: rand.New(rand.NewPCG(2, 2)), Sink: log, Conn: conn})
			if err != nil {
				t.Fatal(err)
			}
			fs := frames(t, codec, 2*time.Second)
			var got [][]byte // reassembled Annex-B per frame
			var cur []byte
			var h264p codecs.H264Packet
			var h265d codecs.H265Depacketizer
			var lastSeq uint16
			var ts []uint32
			buf := make([]byte, 2000)
			n := 0
			for _, f := range fs {
				s.Frame(f)
				for {
					_ = ln.SetReadDeadline(time.Now().Add(5 * time.Second))
					k, err := ln.Read(buf)
					if err != nil {
						t.Fatal(err)
					}
					if k > 1200 {
						t.Fatalf("packet of %d bytes over the MTU", k)
					}
					var p rtp.Packet
					if err := p.Unmarshal(bytes.Clone(buf[:k])); err != nil {
						t.Fatal(err)
					}
					if n > 0 && p.SequenceNumber != lastSeq+1 {
						t.Fatalf("sequence %d after %d", p.SequenceNumber, lastSeq)
					}
					lastSeq = p.SequenceNumber
					n++
					var part []byte
					if codec == av.H264 {
						part, err = h264p.Unmarshal(p.Payload)
					} else {
						part, err = h265d.Unmarshal(p.Payload)
					}
					if err != nil {
						t.Fatal(err)
					}
					cur = append(cur, part...)
					if p.Marker {
						got = append(got, cur)
						cur = nil
						ts = append(ts, p.Timestamp)
						break
					}
				}
			}
			if len(got) != len(fs) {
				t.Fatalf("%d frames back, sent %d", len(got), len(fs))
			}
			for i, f := range fs {
				want := h264.AppendAnnexB(nil, f.NALUs...)
				var back [][]byte
				back, _ = h264.SplitAnnexB(nil, got[i])
				var wantN [][]byte
				wantN, _ = h264.SplitAnnexB(nil, want)
				if len(back) != len(wantN) {
					t.Fatalf("frame %d: %d NAL units back, sent %d", i, len(back), len(wantN))
				}
				for j := range back {
					if !bytes.Equal(back[j], wantN[j]) {
						k := 0
						for k < len(back[j]) && back[j][k] == wantN[j][k] {
							k++
						}
						t.Fatalf("frame %d NAL %d differs at %d: % x vs % x", i, j, k, back[j][max(0, k-4):min(k+8, len(back[j]))], wantN[j][max(0, k-4):min(k+8, len(wantN[j]))])
					}
				}
				if i > 0 && ts[i]-ts[i-1] != 6000 {
					t.Fatalf("timestamp step %d, want 6000 (90 kHz at 15 fps)", ts[i]-ts[i-1])
				}
			}
			st := s.Stats()
			if st.Frames != uint64(len(fs)) || st.Packets != uint64(n) {
				t.Errorf("stats %+v, %d packets read", st, n)
			}
			// a sender report after the interval
			clk.Advance(time.Second)
			_ = ln.SetReadDeadline(time.Now().Add(5 * time.Second))
			k, err := ln.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			pkts, err := rtcp.Unmarshal(buf[:k])
			if err != nil {
				t.Fatal(err)
			}
			sr, ok := pkts[0].(*rtcp.SenderReport)
			if !ok || sr.SSRC != 0xabcdef || sr.PacketCount != uint32(n) {
				t.Errorf("sender report %+v", pkts[0])
			}
			s.Stop()
			obs := log.all()
			if len(obs) != 2 || obs[0].Reason != ReasonStart || obs[1].Reason != ReasonStop {
				t.Errorf("observations %+v", obs)
			}
		})
	}
}

// TestRelay runs a session against the mock cloud's relay (session opened
// through the HTTP API): the relay receives every packet with no loss and
// its receiver reports come back to the session.
func TestRelay(t *testing.T) {
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	log := &obsLog{}
	c := cloud.New(cloud.Config{RTMPAddr: "off"}, clk, log)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := httpapi.New(c.BaseURL(), httpapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := cl.LiveView(context.Background(), "cam-0003", 0)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", rep.Addr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{Device: 3, Codec: av.H264, SSRC: rep.SSRC, Trigger: 101},
		Deps{Clock: clk, Rand: rand.New(rand.NewPCG(3, 3)), Sink: log, Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	fs := frames(t, av.H264, 3*time.Second)
	start := clk.Now()
	for _, f := range fs {
		if d := start.Add(f.PTS).Sub(clk.Now()); d > 0 {
			clk.Advance(d)
		}
		s.Frame(f)
		// pace the real datagrams a little: a burst of seconds of video
		// at once overflows the loopback socket buffer
		time.Sleep(2 * time.Millisecond)
	}
	sent := s.Stats().Packets
	relayed := func() (pkts int64, lost int) {
		for _, o := range log.all() {
			if o.Kind == observe.LiveViewReport && o.Reason == "" {
				pkts += o.Size
				lost += o.Code
			}
		}
		return
	}
	waitFor(t, "relay counted every packet", func() bool {
		clk.Advance(cloud.ReportInterval)
		p, _ := relayed()
		return uint64(p) == sent
	})
	if _, lost := relayed(); lost != 0 {
		t.Errorf("relay lost %d", lost)
	}
	waitFor(t, "receiver report", func() bool { clk.Advance(cloud.ReportInterval); return s.Stats().ReceiverReports > 0 })
	if st := s.Stats(); st.TotalLost != 0 {
		t.Errorf("stats %+v", st)
	}
}
