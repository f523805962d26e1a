package liveview

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/fleetsim/fleetsim/sim/clock"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpora in testdata/fuzz")

const vectorSSRC = 0x11223344

// rtcpVectors are relay datagrams and what a session makes of them; shared
// by TestRTCPVectors and FuzzRTCP's seeds (written to testdata with -update).
func rtcpVectors(t testing.TB) []struct {
	name    string
	b       []byte
	reports uint64
} {
	t.Helper()
	m := func(p rtcp.Packet) []byte {
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rr := m(&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: vectorSSRC, FractionLost: 26, TotalLost: 3, Jitter: 900, LastSenderReport: 0x12345678, Delay: 65536}}})
	other := m(&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 7}}})
	sr := m(&rtcp.SenderReport{SSRC: 9})
	return []struct {
		name    string
		b       []byte
		reports uint64
	}{
		{"rr", rr, 1},
		{"rr-other-ssrc", other, 0},
		{"sr", sr, 0},
		{"compound", append(append([]byte{}, sr...), rr...), 1},
		{"truncated", rr[:len(rr)-5], 0},
		{"empty", nil, 0},
		{"rtp-not-rtcp", []byte{0x80, 0x60, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44}, 0},
	}
}

func vectorSession() *Session {
	return &Session{cfg: Config{SSRC: vectorSSRC}, srSent: map[uint32]time.Time{}}
}

func TestRTCPVectors(t *testing.T) {
	now := clock.Epoch()
	for _, v := range rtcpVectors(t) {
		s := vectorSession()
		s.handleRTCP(v.b, now)
		if st := s.Stats(); st.ReceiverReports != v.reports {
			t.Errorf("%s: %d reports taken, want %d", v.name, st.ReceiverReports, v.reports)
		} else if v.reports > 0 && (st.TotalLost != 3 || st.FractionLost != 26 || st.Jitter != 10*time.Millisecond) {
			t.Errorf("%s: stats %+v", v.name, st)
		}
	}
	// the RTT: the SR went out at t0, the report says it waited 1 s
	s := vectorSession()
	t0 := clock.Epoch()
	s.srSent[0x12345678] = t0
	s.handleRTCP(rtcpVectors(t)[0].b, t0.Add(1300*time.Millisecond))
	if rtt := s.Stats().RTT; rtt != 300*time.Millisecond {
		t.Errorf("RTT %v, want 300ms", rtt)
	}
	if *update {
		dir := filepath.Join("testdata", "fuzz", "FuzzRTCP")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, v := range rtcpVectors(t) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", v.b)
			if err := os.WriteFile(filepath.Join(dir, v.name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzRTCP: any datagram from the relay is taken or dropped, never a panic.
func FuzzRTCP(f *testing.F) {
	for _, v := range rtcpVectors(f) {
		f.Add(v.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := vectorSession()
		s.srSent[0x12345678] = clock.Epoch()
		s.handleRTCP(b, clock.Epoch().Add(time.Second))
		if st := s.Stats(); st.RTT < 0 {
			t.Fatal("negative RTT")
		}
	})
}
