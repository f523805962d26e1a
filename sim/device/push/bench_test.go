package push

import (
	"context"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
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
// audio frames) through SendFrame, the sender goroutine and RTMP chunking
// to a media/rtmp server over loopback TCP, which reads and discards it.
// The frames are given as a camera gives them, tick by tick (every 66 ms of
// the fake clock, the frames whose time falls in it), each tick written
// before the next: at-once writes each message as it is queued
// (FlushDelay 0, one socket write per frame), gathered-66ms waits a video
// frame interval (one write per tick). cpu-ns/op is the process's CPU time
// (the SDK, the kernel's loopback and the in-process server together),
// writes/op the socket writes, allocs/op the SDK's and server's heap.
//
// The discard variants swallow the media instead of writing it to the
// socket (the server saw the connect and the publish): the SDK and the RTMP
// encoding alone, without the kernel's loopback and the server.
func BenchmarkPushCameraSecond(b *testing.B) {
	for _, bc := range []struct {
		name    string
		delay   time.Duration
		discard bool
	}{
		{"at-once", 0, false},
		{"gathered-66ms", 66 * time.Millisecond, false},
		{"at-once/discard", 0, true},
		{"gathered-66ms/discard", 66 * time.Millisecond, true},
	} {
		b.Run(bc.name, func(b *testing.B) { benchPushCameraSecond(b, bc.delay, bc.discard) })
	}
}

// discardConn swallows writes once on (after the publish).
type discardConn struct {
	net.Conn
	on  atomic.Bool
	log func()
}

func (d *discardConn) Write(p []byte) (int, error) {
	if d.on.Load() {
		d.log()
		return len(p), nil
	}
	return d.Conn.Write(p)
}

func benchPushCameraSecond(b *testing.B, delay time.Duration, discard bool) {
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	srv := newServer(rtmp.NopHandler{}, clk)
	defer srv.close()
	sh := quickstart(b, av.H264)
	fs := frames(b, sh, 1, 1, 10*time.Second)
	var writes atomic.Int64
	wrote := make(chan struct{}, 1)
	var dc *discardConn
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
		if discard {
			dc = &discardConn{Conn: nc, log: log}
			return dc, nil
		}
		return &gatedConn{Conn: nc, log: func([]byte) { log() }}, nil
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
	if dc != nil {
		dc.on.Store(true)
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
	want := writes.Load()   // socket writes expected so far
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
				if err := s.SendFrame(id, f); err != nil && err != ErrWaitIDR {
					b.Fatal(err)
				}
				next++
				n++
			}
			clk.Advance(tick)
			// the tick is written before the next (as a camera's frames
			// 66 ms apart are): one write per frame, or one for the tick
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
