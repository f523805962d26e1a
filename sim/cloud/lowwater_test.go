package cloud

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/network/memnet"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// marks records the low-water marks a slice body sets, and the bytes the
// body still owed at each.
type marks struct {
	set, owed []int
	r         *failAfter
	total     int
}

func (m *marks) SetReadLowWater(n int) {
	m.set = append(m.set, n)
	m.owed = append(m.owed, m.total-(len(m.r.all)-len(m.r.data)))
}

// TestSliceBodyLowWater: a streamed slice body sets its connection's
// low-water mark to each read's size, never above what the body still owes
// (the next request's head must not be waited for), and clears it when the
// body is done, whether the slice is stored or its body breaks off.
func TestSliceBodyLowWater(t *testing.T) {
	m := newTestMedia(t)
	body, af, an := m.ts(t, 0, 30, true, stampFor(3))
	for _, tc := range []struct {
		name string
		r    func() *failAfter
		ok   bool
	}{
		{"whole", func() *failAfter { return &failAfter{data: body} }, true},
		{"short", func() *failAfter { return &failAfter{data: body[:len(body)/2]} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{}, clock.NewFake(clock.Epoch().Add(time.Minute)), observe.Discard{})
			s := cloudapi.SliceUpload{Device: "cam-3", Seq: 1, Format: cloudapi.FormatTS,
				UTCStart: clock.Epoch(), UTCEnd: clock.Epoch().Add(2 * time.Second),
				FrameSeqFirst: 0, FrameSeqLast: 29, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1}
			r := tc.r()
			r.all = r.data
			lw := &marks{r: r, total: len(body)}
			_, e := c.storeSliceStream(&s, MediaSliceParser{}, r, int64(len(body)), lw)
			if (e == nil) != tc.ok {
				t.Fatalf("store: %v, want ok %v", e, tc.ok)
			}
			if len(lw.set) < 2 || lw.set[len(lw.set)-1] != 0 {
				t.Fatalf("marks %v: want reads' marks, then 0", lw.set)
			}
			for i, n := range lw.set[:len(lw.set)-1] {
				if n <= 0 || n > lw.owed[i] {
					t.Fatalf("mark %d = %d with %d bytes owed", i, n, lw.owed[i])
				}
			}
		})
	}
}

// markConn is a memnet connection that records the low-water marks set on
// it.
type markConn struct {
	*memnet.Conn
	mu  sync.Mutex
	set []int
}

func (c *markConn) SetReadLowWater(n int) {
	c.mu.Lock()
	c.set = append(c.set, n)
	c.mu.Unlock()
	c.Conn.SetReadLowWater(n)
}

type markListener struct {
	net.Listener
	conns chan *markConn
}

func (l markListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	mc := &markConn{Conn: c.(*memnet.Conn)}
	l.conns <- mc
	return mc, nil
}

// TestSliceUploadSetsLowWater: over the in-memory network, the HTTP API
// reads a streamed slice body with its connection's low-water mark set
// (through the gate's connection), at most 32 KiB a read, and clears it
// before the connection reads the next request.
func TestSliceUploadSetsLowWater(t *testing.T) {
	mem := memnet.New(memnet.Options{})
	defer mem.Close()
	conns := make(chan *markConn, 4)
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off", Listen: func(network, addr string) (net.Listener, error) {
		l, err := mem.Listen(network, addr)
		return markListener{Listener: l, conns: conns}, err
	}}, clk, observe.Discard{})
	cl, err := httpapi.New(c.BaseURL(), httpapi.Options{Dial: mem.Dial})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.CloseIdle()
	m := newTestMedia(t)
	for seq := uint64(1); seq <= 2; seq++ { // two uploads on one keep-alive connection
		s := sliceFor(t, m, "cam-3", seq, (seq-1)*30, 30, int(seq-1)*2, int(seq)*2)
		if _, err := cl.UploadSlice(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	mc := <-conns
	mc.mu.Lock()
	defer mc.mu.Unlock()
	zeros, marks := 0, 0
	for _, n := range mc.set {
		switch {
		case n == 0:
			zeros++
		case n > 32<<10:
			t.Fatalf("mark of %d bytes", n)
		default:
			marks++
		}
	}
	if zeros != 2 || marks < 2 || mc.set[len(mc.set)-1] != 0 {
		t.Fatalf("marks %v: want reads' marks and a 0 after each of 2 bodies", mc.set)
	}
}
