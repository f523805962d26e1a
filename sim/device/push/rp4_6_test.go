package push

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// wire names the recorded messages: meta:N for RP8 control objects,
// onMetaData, vseq/aseq for sequence headers, v/V (key) and a for frames.
func wire(t *testing.T, msgs []rtmp.Message) []string {
	t.Helper()
	var out []string
	var vt flv.VideoTag
	var at flv.AudioTag
	for i := range msgs {
		m := &msgs[i]
		switch m.Type {
		case 18:
			d, err := rtmp.ParseData(m)
			if err != nil {
				t.Fatal(err)
			}
			md, ok := d.Metadata()
			if !ok {
				out = append(out, "data:"+d.Name)
				continue
			}
			if n, ok := md.Number("type"); ok {
				out = append(out, fmt.Sprintf("meta:%d", int(n)))
			} else {
				out = append(out, "onMetaData")
			}
		case 9:
			if err := vt.Unmarshal(m.Payload); err != nil {
				t.Fatal(err)
			}
			switch {
			case vt.Packet == flv.PacketSequenceHeader:
				out = append(out, "vseq")
			case vt.Key:
				out = append(out, "V")
			default:
				out = append(out, "v")
			}
		case 8:
			if err := at.Unmarshal(m.Payload); err != nil {
				t.Fatal(err)
			}
			if at.Packet == flv.PacketSequenceHeader {
				out = append(out, "aseq")
			} else {
				out = append(out, "a")
			}
		}
	}
	return out
}

func index(s []string, v string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// TestRP4 checks a segment's order on the wire — encryption metadata,
// stream start, media (audio sequence header re-sent per segment), stream
// end — and that segment-end (0x102) comes once the end has been sent.
func TestRP4(t *testing.T) {
	r := newRig(t, av.H264, Options{})
	r.connect()
	fs := frames(t, r.sh, 1, 1, 4*time.Second)
	half := len(fs) / 2
	segment := func(part []*av.Frame, trigger Trigger) {
		if err := r.sdk.SendEncryption(r.id, true, EncryptNone, ""); err != nil {
			t.Fatal(err)
		}
		if err := r.sdk.SendMetadata(r.id, MetaStreamStart, int64(trigger), r.clk.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		if err := r.sdk.SendMetadata(r.id, MetaStreamStart, int64(trigger), 0); err == nil {
			t.Error("second stream start inside a segment accepted")
		}
		for _, f := range part {
			_ = r.sdk.SendFrame(r.id, f)
		}
		r.idle()
		if r.cbs.has(EventSegmentEnd) && trigger == TriggerMoveDetect {
			t.Error("segment end before the stream end was sent")
		}
		if err := r.sdk.SendMetadata(r.id, MetaStreamEnd, 10000, r.clk.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		r.idle()
	}
	if err := r.sdk.SendMetadata(r.id, MetaStreamEnd, 0, 0); err == nil {
		t.Error("stream end without start accepted")
	}
	segment(fs[:half], TriggerMoveDetect)
	waitFor(t, "0x102", func() bool { return r.cbs.has(EventSegmentEnd) })
	segment(fs[half:], TriggerFace)
	waitFor(t, "second 0x102", func() bool {
		n := 0
		for _, e := range r.cbs.events() {
			if e == EventSegmentEnd {
				n++
			}
		}
		return n == 2
	})
	// 0x102 follows the write; the ingest reads the stream end a moment later
	waitFor(t, "both stream ends at the ingest", func() bool {
		n := 0
		for _, m := range wire(t, r.rec.messages()) {
			if m == "meta:1" {
				n++
			}
		}
		return n == 2
	})
	w := wire(t, r.rec.messages())
	for seg, from := 0, 0; seg < 2; seg++ {
		enc := index(w, "meta:2", from)
		start := index(w, "meta:0", from)
		aseq := index(w, "aseq", start)
		firstA := index(w, "a", start)
		end := index(w, "meta:1", start)
		if enc < 0 || !(enc < start && start < aseq && aseq < firstA && firstA < end) {
			t.Fatalf("segment %d order wrong: %s", seg, strings.Join(w, " "))
		}
		if media := index(w, "v", from); seg == 0 && media < start {
			t.Errorf("media before stream start: %s", strings.Join(w, " "))
		}
		from = end + 1
	}
	if w[index(w, "vseq", 0)+1] != "V" {
		t.Errorf("video does not start with sequence header + IDR: %s", strings.Join(w[:10], " "))
	}
	evs := r.cbs.events()
	if evs[0] != EventConnectSuccess || evs[1] != EventSegmentEnd || evs[2] != EventSegmentEnd {
		t.Errorf("callbacks %v", evs)
	}
	if n := r.log.count(observe.SegmentStarted, ""); n != 2 {
		t.Errorf("SegmentStarted %d", n)
	}
	if n := r.log.count(observe.SegmentEnded, ""); n != 2 {
		t.Errorf("SegmentEnded %d", n)
	}
}

// badH264 returns an IDR access unit with its parameter sets replaced.
func withParams(f *av.Frame, replace map[int][]byte, drop map[int]bool) *av.Frame {
	g := *f
	g.NALUs = nil
	for _, n := range f.NALUs {
		var typ int
		if f.Codec == av.H265 {
			typ = int(h265.Type(n))
		} else {
			typ = int(h264.Type(n))
		}
		if drop[typ] {
			continue
		}
		if r, ok := replace[typ]; ok {
			n = r
		}
		g.NALUs = append(g.NALUs, n)
	}
	return &g
}

// TestRP5 checks the media checks and their codes, through SendPacket
// (Annex-B, ADTS) and SendFrame (NAL units, raw AAC).
func TestRP5(t *testing.T) {
	r := newRig(t, av.H264, Options{})
	r.connect()
	fs := frames(t, r.sh, 1, 1, time.Second)
	var idr, p, audio *av.Frame
	for _, f := range fs {
		switch {
		case f.Codec == av.H264 && f.Key && idr == nil:
			idr = f
		case f.Codec == av.H264 && !f.Key && p == nil:
			p = f
		case f.Codec == av.AAC && audio == nil:
			audio = f
		}
	}
	annexB := func(f *av.Frame) []byte { return h264.AppendAnnexB(nil, f.NALUs...) }
	// a PPS that refers to SPS 1: pps_id 0, sps_id 1, CAVLC, one slice group, 1 ref each
	ppsOtherSPS := []byte{0x68, 0xA3, 0xC0}
	type tc struct {
		name string
		send func() error
		want Event
	}
	cases := []tc{
		{"annexb-ok", func() error { return r.sdk.SendPacket(r.id, MediaH264, annexB(idr), 0, true) }, EventNone},
		{"annexb-p-ok", func() error { return r.sdk.SendPacket(r.id, MediaH264, annexB(p), 66*time.Millisecond, false) }, EventNone},
		{"no-start-code", func() error {
			avcc, _ := h264.AppendAVCC(nil, 4, idr.NALUs...)
			return r.sdk.SendPacket(r.id, MediaH264, avcc, 0, true)
		}, EventVideoDataError},
		{"idr-without-sps-pps", func() error {
			return r.sdk.SendFrame(r.id, withParams(idr, nil, map[int]bool{7: true, 8: true}))
		}, EventNoSPSPPS},
		{"idr-without-pps", func() error {
			return r.sdk.SendPacket(r.id, MediaH264, annexB(withParams(idr, nil, map[int]bool{8: true})), 0, true)
		}, EventNoSPSPPS},
		{"bad-sps", func() error {
			return r.sdk.SendFrame(r.id, withParams(idr, map[int][]byte{7: {0x67, 0xff}}, nil))
		}, EventBadSPS},
		{"bad-pps", func() error {
			return r.sdk.SendFrame(r.id, withParams(idr, map[int][]byte{8: {0x68}}, nil))
		}, EventBadPPS},
		{"pps-of-other-sps", func() error {
			return r.sdk.SendFrame(r.id, withParams(idr, map[int][]byte{8: ppsOtherSPS}, nil))
		}, EventBadSPSPPS},
		{"forbidden-bit", func() error {
			return r.sdk.SendFrame(r.id, withParams(p, map[int][]byte{1: {0x81, 0x00}}, nil))
		}, EventVideoDataError},
		{"aac-adts-ok", func() error {
			cfg, _ := aac.ParseConfig(r.sh.AudioConfig)
			b, err := aac.AppendADTSFrame(nil, cfg, audio.Payload)
			if err != nil {
				t.Fatal(err)
			}
			return r.sdk.SendPacket(r.id, MediaAAC, b, 64*time.Millisecond, true)
		}, EventNone},
		{"aac-without-adts", func() error { return r.sdk.SendPacket(r.id, MediaAAC, audio.Payload, 0, true) }, EventADTSError},
		{"aac-truncated-adts", func() error {
			cfg, _ := aac.ParseConfig(r.sh.AudioConfig)
			b, _ := aac.AppendADTSFrame(nil, cfg, audio.Payload)
			return r.sdk.SendPacket(r.id, MediaAAC, b[:len(b)-3], 0, true)
		}, EventADTSError},
		{"mp3-unsupported", func() error { return r.sdk.SendPacket(r.id, MediaMP3, []byte{0xff, 0xfb}, 0, true) }, EventInvalidParam},
	}
	for _, c := range cases {
		before := len(r.cbs.events())
		err := c.send()
		if CodeOf(err) != c.want {
			t.Errorf("%s: %v, want code %v", c.name, err, c.want)
		}
		if c.want != EventNone {
			waitFor(t, c.name+" callback", func() bool { return len(r.cbs.events()) > before })
			if ev := r.cbs.events()[before]; ev != c.want {
				t.Errorf("%s: callback %v, want %v", c.name, ev, c.want)
			}
		}
	}
	if n := r.log.count(observe.FrameDropped, observe.ReasonBadMedia); n != 5 {
		t.Errorf("bad_media drops %d, want 5 (the SendFrame cases)", n)
	}

	// H.265: a bad VPS is 0x61; without the VPS 0x54
	r5 := newRig(t, av.H265, Options{})
	r5.connect()
	var idr5 *av.Frame
	for _, f := range frames(t, r5.sh, 1, 1, 200*time.Millisecond) {
		if f.Codec == av.H265 && f.Key {
			idr5 = f
			break
		}
	}
	if err := r5.sdk.SendFrame(r5.id, withParams(idr5, map[int][]byte{32: {0x40, 0x01, 0xff}}, nil)); CodeOf(err) != EventBadVPS {
		t.Errorf("bad VPS: %v", err)
	}
	if err := r5.sdk.SendFrame(r5.id, withParams(idr5, nil, map[int]bool{32: true})); CodeOf(err) != EventNoSPSPPS {
		t.Errorf("no VPS: %v", err)
	}
	if err := r5.sdk.SendFrame(r5.id, idr5); err != nil {
		t.Errorf("good H.265 IDR: %v", err)
	}
	// raw AAC without a known configuration
	s := New(Deps{Clock: r.clk, Sink: &obsLog{}, Dial: r.srv.dial}, Options{})
	if err := s.Initialize(units.MiB, 2); err != nil {
		t.Fatal(err)
	}
	defer s.Uninitialize()
	cbs := &callbacks{}
	id, _ := s.Connect("rtmp://cloud.test/live/cam-0002/1", "", cbs.cb)
	waitFor(t, "connect", func() bool { return cbs.has(EventConnectSuccess) })
	if err := s.SendFrame(id, audio); CodeOf(err) != EventADTSError {
		t.Errorf("raw AAC without config: %v", err)
	}
}

// gatedConn holds writes while held, as a congested uplink does.
type gatedConn struct {
	net.Conn
	mu     sync.Mutex
	held   bool
	opened chan struct{}
	log    func(b []byte)
}

func (g *gatedConn) Write(b []byte) (int, error) {
	g.mu.Lock()
	held, ch := g.held, g.opened
	g.mu.Unlock()
	if held {
		<-ch
	}
	if g.log != nil {
		g.log(b)
	}
	return g.Conn.Write(b)
}

func (g *gatedConn) hold() {
	g.mu.Lock()
	if !g.held { // a second hold must not strand writers waiting on the first
		g.held, g.opened = true, make(chan struct{})
	}
	g.mu.Unlock()
}

func (g *gatedConn) release() {
	g.mu.Lock()
	if g.held {
		g.held = false
		close(g.opened)
	}
	g.mu.Unlock()
}

func (g *gatedConn) Close() error { g.release(); return g.Conn.Close() }

// TestRP6 checks the pool thresholds: pause (0x59) when the queue exceeds
// pool/2 or the free pool falls below 150 KiB, resume (0x58) after writes
// free more than a third of the pool, video resuming at an IDR; and the
// heartbeat after 2 s of idle sending.
func TestRP6(t *testing.T) {
	for _, c := range []struct {
		name string
		pool units.ByteSize
		// the pause comes when queued bytes exceed limit
		limit int64
	}{
		{"queue-over-half-pool", units.MiB, int64(units.MiB) / 2},
		{"free-below-150KiB", 200 * units.KiB, int64(200*units.KiB - PauseFreeBelow)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, av.H264, Options{})
			var gc *gatedConn
			dial := r.srv.dial
			r.sdk.deps.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				nc, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				gc = &gatedConn{Conn: nc}
				return gc, nil
			}
			_ = r.sdk.Uninitialize()
			if err := r.sdk.Initialize(c.pool, 2); err != nil {
				t.Fatal(err)
			}
			r.connect()
			gc.hold()
			fs := frames(t, r.sh, 1, 1, 40*time.Second)
			queued := int64(0)
			i := 0
			for ; i < len(fs) && !r.cbs.has(EventPause); i++ {
				if err := r.sdk.SendFrame(r.id, fs[i]); err == nil {
					queued += int64(fs[i].Size()) + tagOverhead
				}
			}
			if !r.cbs.has(EventPause) {
				t.Fatal("no pause")
			}
			f := fs[i-1]
			// the frame that paused would have taken the queue over the limit
			if over := queued + int64(f.Size()) + tagOverhead; over <= c.limit || queued > c.limit {
				t.Errorf("paused with %d queued (+%d), limit %d", queued, f.Size()+tagOverhead, c.limit)
			}
			if r.log.count(observe.PushPaused, "") != 1 {
				t.Error("no PushPaused observation")
			}
			// while paused every frame is dropped
			for j := 0; j < 5; j++ {
				_ = r.sdk.SendFrame(r.id, fs[i+j])
			}
			i += 5
			gc.release()
			waitFor(t, "resume", func() bool { return r.cbs.has(EventResume) })
			r.idle()
			// after the resume, video waits for an IDR
			for ; i < len(fs); i++ {
				err := r.sdk.SendFrame(r.id, fs[i])
				if !fs[i].Codec.IsVideo() {
					continue
				}
				if fs[i].Key {
					if err != nil {
						t.Errorf("IDR after resume refused: %v", err)
					}
					break
				}
				if err != ErrWaitIDR {
					t.Errorf("inter frame after resume before the IDR: %v", err)
				}
			}
			if n := r.log.count(observe.FrameDropped, observe.ReasonPaused); n < 5 {
				t.Errorf("push_paused drops %d", n)
			}
			evs := r.cbs.events()
			if index(evNames(evs), "pause", 0) > index(evNames(evs), "resume", 0) {
				t.Errorf("callbacks out of order: %v", evs)
			}
		})
	}
	// the heartbeat through the sender (a transport that is no socket) and
	// with direct writes (the socket, its writes counted)
	for _, direct := range []bool{false, true} {
		name := "heartbeat"
		if direct {
			name += "/direct"
		}
		t.Run(name, func(t *testing.T) { testHeartbeat(t, direct) })
	}
}

func testHeartbeat(t *testing.T, direct bool) {
	{
		r := newRig(t, av.H264, Options{Heartbeat: 2 * time.Second})
		var mu sync.Mutex
		var pings []time.Time
		counting := false
		dial := r.srv.dial
		r.sdk.deps.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			// once the frames stop, every write is a heartbeat
			log := func() {
				mu.Lock()
				if counting {
					pings = append(pings, r.clk.Now())
				}
				mu.Unlock()
			}
			if direct && err == nil {
				return &countedConn{TCPConn: nc.(*net.TCPConn), log: log}, nil
			}
			return &gatedConn{Conn: nc, log: func([]byte) { log() }}, err
		}
		r.connect()
		start := r.clk.Now()
		mu.Lock()
		counting = true
		mu.Unlock()
		count := func() int { mu.Lock(); defer mu.Unlock(); return len(pings) }
		// sending every 100 ms: no heartbeat
		fs := frames(t, r.sh, 1, 1, 3*time.Second)
		for _, f := range fs {
			if f.Codec.IsVideo() {
				r.clk.Advance(f.PTS - r.clk.Now().Sub(start))
			}
			_ = r.sdk.SendFrame(r.id, f)
			r.idle()
		}
		mu.Lock()
		n := 0
		for i := 1; i < len(pings); i++ {
			if pings[i].Sub(pings[i-1]) >= 2*time.Second {
				n++
			}
		}
		pings = nil
		mu.Unlock()
		if n != 0 {
			t.Fatalf("%d idle gaps of 2 s while sending", n)
		}
		last := r.clk.Now()
		waitFor(t, "heartbeat timer", func() bool { return r.clk.Pending() > 0 })
		r.clk.Advance(1900 * time.Millisecond)
		time.Sleep(20 * time.Millisecond) // let a wrong early ping show
		if n := count(); n != 0 {
			t.Fatalf("heartbeat before 2 s idle")
		}
		r.clk.Advance(100 * time.Millisecond)
		waitFor(t, "heartbeat", func() bool { return count() == 1 })
		mu.Lock()
		at := pings[0]
		mu.Unlock()
		if at.Sub(last) != 2*time.Second {
			t.Errorf("heartbeat %v after the last write", at.Sub(last))
		}
		waitFor(t, "next heartbeat timer", func() bool { return r.clk.Pending() > 0 })
		r.clk.Advance(2 * time.Second)
		waitFor(t, "second heartbeat", func() bool { return count() == 2 })
	}
}

func evNames(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.String()
	}
	return out
}
