package network

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestTCPThroughputAtRate(t *testing.T) {
	p := Profile{
		Up:   Direction{Rate: 2 * units.Mbps, Delay: units.Duration(ms(25))},
		Down: Direction{Delay: units.Duration(ms(25))},
		TCP:  TCP{SendBuffer: 2 * units.MiB},
	}
	l, fk := newTestLink(t, p, "cam-tcp")
	c, rc := dialRec(t, l, fk)
	rc.keep = true
	start := fk.Now()
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if n, err := c.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	drain(fk)
	var got []byte
	for _, a := range rc.arrivals() {
		got = append(got, a.b...)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("delivered %d bytes, not the %d written in order", len(got), len(data))
	}
	segs := (len(data) + DefaultMSS - 1) / DefaultMSS
	wire := float64(len(data)+segs*tcpHeader) * 8
	// The bucket's burst (2 ms at the rate) leaves at once.
	want := time.Duration((wire-float64(max(1500, int(2e6/8*0.002)))*8)/2e6*float64(time.Second)) + ms(25)
	last := rc.arrivals()[len(rc.arrivals())-1].at.Sub(start)
	if math.Abs(float64(last-want)) > float64(ms(1)) {
		t.Errorf("last byte at %v, want %v ±1ms", last, want)
	}
	// The send buffer empties when the last acknowledgement is back, one
	// down-link delay after the last byte arrived.
	if c.Buffered() == 0 {
		t.Error("the send buffer emptied before the acknowledgement came back")
	}
	fk.Advance(ms(25))
	if c.Buffered() != 0 {
		t.Errorf("Buffered = %d after the last acknowledgement", c.Buffered())
	}
}

func TestTCPGoodputCap(t *testing.T) {
	for _, loss := range []units.Ratio{0.005, 0.01, 0.05} {
		p := Profile{
			Up:   Direction{Rate: 100 * units.Mbps, Delay: units.Duration(ms(50)), Loss: loss},
			Down: Direction{Delay: units.Duration(ms(50))},
			TCP:  TCP{SendBuffer: 64 * units.MiB},
		}
		l, fk := newTestLink(t, p, "cam-cap")
		c, rc := dialRec(t, l, fk)
		start := fk.Now()
		const total = 8 << 20
		c.Write(make([]byte, total))
		drain(fk)
		if rc.bytes() != total {
			t.Fatalf("loss %v: %d of %d bytes delivered", loss, rc.bytes(), total)
		}
		arr := rc.arrivals()
		el := arr[len(arr)-1].at.Sub(start).Seconds()
		got := total / el
		want := GoodputCap(DefaultMSS, ms(100), DefaultMinRTO, float64(loss))
		t.Logf("loss %v: goodput %.0f B/s, model %.0f B/s", loss, got, want)
		// Retransmission stalls at the end add a little: 5 %.
		if math.Abs(got-want)/want > 0.05 {
			t.Errorf("loss %v: goodput %.0f B/s, model %.0f B/s ±5%%", loss, got, want)
		}
	}
}

func TestGoodputCapFormulas(t *testing.T) {
	// Mathis: 1460 B / 0.1 s · 1.22474 / √0.01 = 178,813 B/s.
	if got := GoodputCap(1460, ms(100), ms(200), 0.01); math.Abs(got-178813) > 1 {
		t.Errorf("Mathis = %.0f, want 178813", got)
	}
	// Padhye at 5 %: 1460 / (0.1·√(0.1/3) + 0.2·min(1, 3·√(0.01875))·0.05·(1+0.08)).
	want := 1460 / (0.1*math.Sqrt(0.1/3) + 0.2*math.Min(1, 3*math.Sqrt(0.01875))*0.05*1.08)
	if got := GoodputCap(1460, ms(100), ms(200), 0.05); math.Abs(got-want) > 1e-6 {
		t.Errorf("Padhye = %.0f, want %.0f", got, want)
	}
	if GoodputCap(1460, ms(100), ms(200), 0) != 0 || GoodputCap(1460, 0, ms(200), 0.1) != 0 {
		t.Error("no loss or no RTT must mean no cap")
	}
}

// scriptLoss loses the transmissions whose index (counting every attempt)
// is in lose.
type scriptLoss struct {
	n    int
	lose map[int]bool
}

func (s *scriptLoss) Lost() bool    { i := s.n; s.n++; return s.lose[i] }
func (s *scriptLoss) Rate() float64 { return 0 }
func (s *scriptLoss) Apply(p *Packet) {
	if p.Drop == "" && s.Lost() {
		p.Drop = DropLoss
	}
}

func TestTCPRetransmissionAndHeadOfLine(t *testing.T) {
	p := Profile{Up: Direction{Delay: units.Duration(ms(50))}, Down: Direction{Delay: units.Duration(ms(50))}}
	cases := []struct {
		name string
		segs int
		lose []int
		want []time.Duration // arrival of each segment
	}{
		{"fast retransmit, head-of-line", 6, []int{1},
			[]time.Duration{ms(50), ms(150), ms(150), ms(150), ms(150), ms(150)}},
		{"tail loss: timeout", 2, []int{1},
			[]time.Duration{ms(50), ms(250)}},
		{"repeated loss doubles the timeout", 1, []int{0, 1, 2},
			[]time.Duration{ms(50 + 200 + 400 + 800)}},
		{"lost retransmission after a fast retransmit", 5, []int{0, 1},
			[]time.Duration{ms(50 + 100 + 200), ms(350), ms(350), ms(350), ms(350)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, fk := newTestLink(t, p, "cam-hol")
			sl := &scriptLoss{lose: map[int]bool{}}
			for _, i := range tc.lose {
				sl.lose[i] = true
			}
			l.up.loss = sl
			c, rc := dialRec(t, l, fk)
			start := fk.Now()
			c.Write(make([]byte, tc.segs*DefaultMSS))
			drain(fk)
			// Arrivals are coalesced per flush: expand to segments.
			var got []time.Duration
			for _, a := range rc.arrivals() {
				for k := 0; k < a.n/DefaultMSS; k++ {
					got = append(got, a.at.Sub(start))
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("arrivals %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("arrivals %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestTCPOutageDelaysThenDelivers(t *testing.T) {
	p := Profile{
		Up:      Direction{Delay: units.Duration(ms(50))},
		Outages: Outages{Scheduled: []Window{{At: units.Duration(time.Second), For: units.Duration(30 * time.Second)}}},
	}
	l, fk := newTestLink(t, p, "cam-out")
	c, rc := dialRec(t, l, fk)
	start := fk.Now()
	fk.Advance(2 * time.Second)
	c.Write([]byte("hello"))
	drain(fk)
	// RTOs 0.2, 0.4, … 25.6 s: the first retry after the outage ends (31 s)
	// leaves at 2 + 51 s.
	arr := rc.arrivals()
	if len(arr) != 1 || arr[0].at.Sub(start) != 53*time.Second+ms(50) {
		t.Fatalf("arrivals %v, want one at 53.05s", arr)
	}
	if s := l.Stats().Up; s.Timeouts != 8 {
		t.Errorf("timeouts %d, want 8", s.Timeouts)
	}
}

// loopback returns a real TCP connection pair.
func loopback(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		s, _ := ln.Accept()
		ch <- s
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestTCPStallResetsBothEnds(t *testing.T) {
	p := Profile{
		Up:      Direction{Delay: units.Duration(ms(20))},
		Outages: Outages{Scheduled: []Window{{At: 0, For: units.Duration(10 * time.Minute)}}},
		TCP:     TCP{StallLimit: units.Duration(30 * time.Second)},
	}
	l, fk := newTestLink(t, p, "cam-stall")
	raw, server := loopback(t)
	nc, err := l.wrapConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := nc.(*Conn)
	start := fk.Now()
	c.Write([]byte("never arrives"))
	drain(fk)
	if el := fk.Now().Sub(start); el != 30*time.Second {
		t.Errorf("connection died at %v, want at the 30s stall limit", el)
	}
	_, err = c.Write([]byte("x"))
	if ReasonOf(err) != ReasonStall || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Write after the stall = %v, want a %s reset", err, ReasonStall)
	}
	// The peer sees the reset on the real socket (not a clean EOF).
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 64)
	n, err := server.Read(b)
	if n != 0 || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("peer read %d bytes, %v; want a connection reset", n, err)
	}
	if s := l.Stats(); s.StallResets != 1 {
		t.Errorf("stall resets %d, want 1", s.StallResets)
	}
}

func TestTCPWriteBlocksWhenSendBufferFull(t *testing.T) {
	p := Profile{Up: Direction{Rate: 80 * units.Kbps}, TCP: TCP{SendBuffer: 16 * units.KiB}}
	l, fk := newTestLink(t, p, "cam-block")
	c, rc := dialRec(t, l, fk)
	done := make(chan struct{})
	var n int
	var werr error
	go func() {
		n, werr = c.Write(make([]byte, 64*1024))
		close(done)
	}()
	for c.Buffered() < 16*1024 {
		runtime.Gosched()
	}
	select {
	case <-done:
		t.Fatal("Write returned with the send buffer full and no time passing")
	default:
	}
	until(t, fk, done)
	if n != 64*1024 || werr != nil {
		t.Fatalf("Write = %d, %v", n, werr)
	}
	drain(fk)
	if rc.bytes() != 64*1024 {
		t.Fatalf("delivered %d bytes", rc.bytes())
	}

	// With a write deadline, a blocked Write gives up with a timeout.
	c.SetWriteDeadline(fk.Now().Add(time.Second))
	done = make(chan struct{})
	go func() {
		n, werr = c.Write(make([]byte, 64*1024))
		close(done)
	}()
	until(t, fk, done)
	if !errors.Is(werr, os.ErrDeadlineExceeded) || n < 16*1024 || n >= 64*1024 {
		t.Fatalf("Write with deadline = %d, %v; want a partial write and a timeout", n, werr)
	}
}

// satellite is a satellite-like link: 300 ms each way, a fast link; with
// a 64 KiB send buffer the throughput is the buffer per round trip
// (windowPace), not the rate.
func satellite() Profile {
	return Profile{
		Up:   Direction{Rate: 20 * units.Mbps, Delay: units.Duration(ms(300))},
		Down: Direction{Delay: units.Duration(ms(300))},
	}
}

// windowPace is satellite's throughput: a byte holds its place in the
// buffer for one round trip (the rate is far above the window's pace, so
// nothing queues at the bottleneck).
const windowPace = float64(DefaultSendBuffer) / 0.6

func TestTCPWindowLimit(t *testing.T) {
	l, fk := newTestLink(t, satellite(), "cam-sat")
	c, rc := dialRec(t, l, fk)
	const total = 2 << 20
	// A sender that writes whenever there is room, on virtual time: the
	// test goroutine moves the clock to the next flush or acknowledgement.
	buf := make([]byte, DefaultSendBuffer)
	for left := total; left > 0; {
		if room := DefaultSendBuffer - c.Buffered(); room > 0 {
			n := min(room, left)
			c.Write(buf[:n])
			left -= n
			continue
		}
		next, ok := fk.Next()
		if ack, aok := c.nextAck(); aok && (!ok || ack.Before(next)) {
			next, ok = ack, true
		}
		if !ok {
			t.Fatal("send buffer full and nothing pending")
		}
		fk.AdvanceTo(next)
	}
	drain(fk)
	arr := rc.arrivals()
	el := arr[len(arr)-1].at.Sub(clockEpoch()).Seconds()
	got := total / el
	if want := windowPace; math.Abs(got-want)/want > 0.05 {
		t.Errorf("throughput %.0f B/s, want the window limit %.0f B/s ±5%%", got, want)
	}
}

func TestTCPRandomReset(t *testing.T) {
	p := Profile{Connect: Connect{Resets: units.Frequency(1.0 / 60)}}
	l, fk := newTestLink(t, p, "cam-reset")
	c, _ := dialRec(t, l, fk)
	drain(fk)
	if _, err := c.Read(make([]byte, 1)); ReasonOf(err) != ReasonReset {
		t.Fatalf("Read after reset = %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("Write after reset = %v", err)
	}
	if s := l.Stats(); s.Resets != 1 {
		t.Errorf("resets %d, want 1", s.Resets)
	}
}

func TestTCPReadIsDelayed(t *testing.T) {
	p := Profile{Down: Direction{Delay: units.Duration(ms(80))}}
	l, fk := newTestLink(t, p, "cam-read")
	raw, server := loopback(t)
	nc, _ := l.wrapConn(raw)
	server.Write([]byte("reply"))
	done := make(chan struct{})
	var got []byte
	start := fk.Now()
	var at time.Time
	go func() {
		b := make([]byte, 16)
		n, _ := nc.Read(b)
		got, at = b[:n], fk.Now()
		close(done)
	}()
	until(t, fk, done)
	if string(got) != "reply" || at.Sub(start) != ms(80) {
		t.Fatalf("read %q at %v, want \"reply\" at 80ms", got, at.Sub(start))
	}
	// Close while data is queued: it is delivered first, then the socket closes.
	c := nc.(*Conn)
	c.Write([]byte("bye"))
	c.Close()
	drain(fk)
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(server)
	if string(b) != "bye" || err != nil {
		t.Fatalf("peer read %q, %v after a graceful close", b, err)
	}
}

func TestTCPFastRetransmitAcrossWrites(t *testing.T) {
	p := Profile{Up: Direction{Delay: units.Duration(ms(50))}, Down: Direction{Delay: units.Duration(ms(50))}}
	cases := []struct {
		name string
		gap  time.Duration // between one-segment writes
		want time.Duration // arrival of the lost first segment
		fast int64
	}{
		// Followers leave at 10, 20, 30 ms: dupacks back at 130 ms, resent
		// then, arrives 50 ms later.
		{"followers in time", ms(10), ms(30 + 100 + 50), 1},
		// Followers at 80, 160, 240 ms: the 200 ms timeout fires first.
		{"followers too late", ms(80), ms(200 + 50), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, fk := newTestLink(t, p, "cam-frx")
			l.up.loss = &scriptLoss{lose: map[int]bool{0: true}}
			c, rc := dialRec(t, l, fk)
			start := fk.Now()
			c.Write(make([]byte, 100))
			for i := 0; i < 3; i++ {
				fk.Advance(tc.gap)
				c.Write(make([]byte, 100))
			}
			drain(fk)
			arr := rc.arrivals()
			if len(arr) == 0 || arr[0].at.Sub(start) != tc.want {
				t.Fatalf("first arrival %v, want %v", arr, tc.want)
			}
			// Head-of-line: everything after waits for it.
			for _, a := range arr {
				if a.at.Sub(start) < tc.want {
					t.Fatalf("a later segment overtook the lost one: %v", arr)
				}
			}
			if s := l.Stats().Up; s.FastRetransmits != tc.fast || s.FastRetransmits+s.Timeouts != 1 {
				t.Errorf("stats %+v, want %d fast retransmits of 1 loss", s, tc.fast)
			}
		})
	}
}

// TestTCPLateWriterKeepsTheWindowPace is TestTCPWindowLimit with a writer
// that always runs late: the clock jumps 100 ms past every timer, as a
// busy host wakes a blocked goroutine late. Segments written after a wait
// for buffer space leave when the acknowledgement freed it, so the
// lateness does not add to every round trip and the throughput stays the
// window's (it would lose about a seventh otherwise).
func TestTCPLateWriterKeepsTheWindowPace(t *testing.T) {
	l, fk := newTestLink(t, satellite(), "cam-late")
	c, rc := dialRec(t, l, fk)
	const total, late = 4 << 20, 100 * time.Millisecond
	done := make(chan struct{})
	var n int
	var werr error
	go func() {
		n, werr = c.Write(make([]byte, total))
		close(done)
	}()
	for spins := 0; ; {
		select {
		case <-done:
		default:
			if next, ok := fk.Next(); ok {
				fk.AdvanceTo(next.Add(late))
				spins = 0
			} else if spins++; spins > 1e7 {
				t.Fatal("nothing to do and not done")
			}
			runtime.Gosched()
			continue
		}
		break
	}
	if n != total || werr != nil {
		t.Fatalf("Write = %d, %v", n, werr)
	}
	drain(fk)
	arr := rc.arrivals()
	el := arr[len(arr)-1].at.Sub(clockEpoch()).Seconds()
	got := total / el
	if want := windowPace; math.Abs(got-want)/want > 0.05 {
		t.Errorf("throughput %.0f B/s with a writer woken %v late, want the window limit %.0f B/s ±5%%", got, late, want)
	}
}
