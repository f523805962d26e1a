package cloud

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// TestLiveViewRelay: a device asks for a session over HTTP, sends RTP with
// a lost and a reordered packet over UDP; the relay's receiver report and
// LiveViewReport observation say so.
func TestLiveViewRelay(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	rec := &recorder{}
	c := startCloud(t, Config{RTMPAddr: "off"}, clk, rec)
	cl := newClient(t, c)
	lv, err := cl.LiveView(context.Background(), "cam-12", 0)
	if err != nil {
		t.Fatal(err)
	}
	relayAddr, err := net.ResolveUDPAddr("udp", lv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(seq uint16, ts uint32, marker bool) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts, SSRC: lv.SSRC, Marker: marker},
			Payload: make([]byte, 100)}
		b, _ := p.Marshal()
		if _, err := conn.WriteToUDP(b, relayAddr); err != nil {
			t.Fatal(err)
		}
	}
	sr := rtcp.SenderReport{SSRC: lv.SSRC, NTPTime: 0x0001_0002_0003_0000}
	b, _ := sr.Marshal()
	conn.WriteToUDP(b, relayAddr)
	// 10 frames of 2 packets; seq 5 lost, 8 and 9 swapped
	order := []uint16{0, 1, 2, 3, 4, 6, 7, 9, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	for _, s := range order {
		send(s, uint32(s/2)*6000, s%2 == 1)
	}
	// garbage and an unknown SSRC are counted, not fatal
	conn.WriteToUDP([]byte{1, 2, 3}, relayAddr)
	deadline := time.Now().Add(5 * time.Second)
	for c.Snapshot().LiveViewPackets < int64(len(order)) || c.Snapshot().LiveViewMalformed < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("relay saw %+v", c.Snapshot())
		}
		time.Sleep(time.Millisecond)
	}
	clk.Advance(ReportInterval) // the report tick
	// the receiver report comes back to the sender
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no receiver report: %v", err)
	}
	pkts, err := rtcp.Unmarshal(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	rr, ok := pkts[0].(*rtcp.ReceiverReport)
	if !ok || len(rr.Reports) != 1 {
		t.Fatalf("got %T %+v", pkts[0], pkts[0])
	}
	r := rr.Reports[0]
	if r.SSRC != lv.SSRC || r.TotalLost != 1 || r.LastSequenceNumber != 19 || r.LastSenderReport != 0x0002_0003 {
		t.Fatalf("report %+v", r)
	}
	if r.FractionLost != uint8(256/20) {
		t.Fatalf("fraction lost %d", r.FractionLost)
	}
	var lvo []observe.Observation
	for _, o := range rec.all() {
		if o.Kind == observe.LiveViewReport {
			lvo = append(lvo, o)
		}
	}
	if len(lvo) != 1 || lvo[0].Device != 12 || lvo[0].Size != 19 || lvo[0].Code != 1 {
		t.Fatalf("observations %+v", lvo)
	}
	s := c.Snapshot()
	if s.LiveViewReordered != 1 || s.LiveViewLost != 1 {
		t.Fatalf("snapshot %+v", s)
	}
	_ = httpapi.LiveViewReply{}
}
