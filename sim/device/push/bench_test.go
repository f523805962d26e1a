package push

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPushCameraSecond: one op is one camera-second of the quickstart
// profile (512 kbps H.264 15 fps + 32 kbps AAC 16 kHz: 15 video and ~16
// audio frames) through SendFrame and RTMP chunking to a media/rtmp server
// over loopback TCP, which reads and discards it. The frames are given as
// a camera gives them, tick by tick (every 66 ms of the fake clock, the
// frames whose time falls in it), each tick written before the next:
// at-once writes each message as it is queued (FlushDelay 0, one socket
// write per frame), gathered-66ms waits a video frame interval (one write
// per tick). The transport is the socket itself, so SendFrame (or the
// gathering timer) writes directly; the /sender variants wrap it in a
// net.Conn that is no socket, so every write goes through the sender
// goroutine (as on a simulated link). cpu-ns/op is the process's CPU time
// (the SDK, the kernel's loopback and the in-process server together),
// writes/op the socket writes, allocs/op the SDK's and server's heap.
//
// The discard variants swallow the media instead of writing it to the
// server (which saw the connect and the publish): direct writes go to
// /dev/null, the sender's to nothing. The SDK and the RTMP encoding alone,
// without the kernel's loopback and the server.
func BenchmarkPushCameraSecond(b *testing.B) {
	for _, bc := range []struct {
		name    string
		delay   time.Duration
		discard bool
		sender  bool
	}{
		{"at-once", 0, false, false},
		{"gathered-66ms", 66 * time.Millisecond, false, false},
		{"at-once/sender", 0, false, true},
		{"at-once/discard", 0, true, false},
		{"gathered-66ms/discard", 66 * time.Millisecond, true, false},
		{"at-once/sender/discard", 0, true, true},
	} {
		b.Run(bc.name, func(b *testing.B) { benchPushCameraSecond(b, bc.delay, bc.discard, bc.sender) })
	}
}

// countedConn is the socket, counting writes: the sender's (Write) and
// the direct ones (through SyscallConn). Once discarding, writes go to
// nowhere (Write) or to /dev/null (direct).
type countedConn struct {
	*net.TCPConn
	log     func()
	discard atomic.Bool
	null    syscall.RawConn
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.log()
	if c.discard.Load() {
		return len(p), nil
	}
	return c.TCPConn.Write(p)
}

func (c *countedConn) SyscallConn() (syscall.RawConn, error) {
	rc, err := c.TCPConn.SyscallConn()
	return &countedRaw{RawConn: rc, c: c}, err
}

type countedRaw struct {
	syscall.RawConn
	c *countedConn
}

func (r *countedRaw) Write(f func(fd uintptr) bool) error {
	r.c.log()
	if r.c.discard.Load() {
		return r.c.null.Write(f)
	}
	return r.RawConn.Write(f)
}

// frameCounter is the server's handler: it counts the media frames it
// receives (not sequence headers).
type frameCounter struct {
	rtmp.NopHandler
	frames atomic.Int64
	wrote  chan struct{}
}

func (h *frameCounter) OnMessage(_ *rtmp.ServerConn, m *rtmp.Message) error {
	if (m.Type == chunk.TypeVideo || m.Type == chunk.TypeAudio) && len(m.Payload) > 1 && m.Payload[1] == 1 {
		h.frames.Add(1)
		select {
		case h.wrote <- struct{}{}:
		default:
		}
	}
	return nil
}

// senderConn hides the socket: the SDK writes through its sender.
type senderConn struct{ net.Conn }

func benchPushCameraSecond(b *testing.B, delay time.Duration, discard, sender bool) {
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	wrote := make(chan struct{}, 1)
	fc := &frameCounter{wrote: wrote}
	srv := newServer(fc, clk)
	defer srv.close()
	sh := quickstart(b, av.H264)
	fs := frames(b, sh, 1, 1, 10*time.Second)
	var writes atomic.Int64
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	nullRaw, err := null.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var cc *countedConn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := srv.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		log := func() {
			writes.Add(1)
			select {
			case wrote <- struct{}{}:
			default:
			}
		}
		cc = &countedConn{TCPConn: nc.(*net.TCPConn), log: log, null: nullRaw}
		if sender {
			return senderConn{cc}, nil
		}
		return cc, nil
	}
	s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(1, 1)), Sink: observe.Discard{}, Dial: dial},
		Options{AudioConfig: sh.AudioConfig, FlushDelay: delay, Heartbeat: time.Hour})
	if err := s.Initialize(units.MiB, 2); err != nil {
		b.Fatal(err)
	}
	defer s.Uninitialize()
	cbs := &callbacks{}
	id, err := s.Connect("rtmp://cloud.test/live/cam-0001", "", cbs.cb)
	if err != nil {
		b.Fatal(err)
	}
	waitFor(b, "connect", func() bool { return cbs.has(EventConnectSuccess) })
	if discard {
		cc.discard.Store(true)
	}
	const tick = 66 * time.Millisecond
	const ticks = 15 // a camera-second
	next := 0
	// frames are copied into a ring (the SDK holds them until written; each
	// tick waits until its frames were written) so the loop itself
	// allocates nothing
	ring := make([]av.Frame, 64)
	lapDur := 10 * time.Second
	b.ReportAllocs()
	b.ResetTimer()
	w0 := writes.Load()
	cpu0 := cpuTime()
	var media time.Duration // media time of the current tick's end
	want := writes.Load()   // discarding: socket writes expected so far
	var accepted int64      // frames SendFrame took
	for i := 0; i < b.N; i++ {
		for range ticks {
			media += tick
			n := 0
			for {
				lap := time.Duration(next/len(fs)) * lapDur
				src := fs[next%len(fs)]
				if src.PTS+lap >= media {
					break
				}
				f := &ring[next%len(ring)]
				*f = *src
				// keep media time running across laps
				f.PTS += lap
				f.DTS += lap
				switch err := s.SendFrame(id, f); err {
				case nil:
					n++
				case ErrWaitIDR:
				default:
					b.Fatal(err)
				}
				next++
			}
			accepted += int64(n)
			clk.Advance(tick)
			// the tick is written before the next (as a camera's frames
			// 66 ms apart are): the server has its frames, or, discarding,
			// the socket writes went out: one per frame, or one for the
			// tick
			if !discard {
				for fc.frames.Load() < accepted {
					<-wrote
				}
				continue
			}
			if delay > 0 {
				n = min(n, 1)
			}
			for want += int64(n); writes.Load() < want; {
				<-wrote
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(writes.Load()-w0)/float64(b.N), "writes/op")
	if cbs.has(EventPause) {
		b.Log("flow control paused during the benchmark")
	}
}
