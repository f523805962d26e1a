package cloud

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/network/memnet"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// bytesContent is a cloudapi.Content over bytes (the upload's streamed
// path, as a camera's muxed slice takes).
type bytesContent []byte

func (b bytesContent) Size() int64     { return int64(len(b)) }
func (b bytesContent) Open() io.Reader { return &byteReader{b: b} }

// byteReader has only Read (a bytes.Reader's WriteTo would bypass the
// copies a SliceReader goes through).
type byteReader struct{ b []byte }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// BenchmarkUploadPath is the whole upload data path of one 10 s TS slice
// (the test media's 150 video and 157 audio frames, ≈ 460 KB): the HTTP
// client writes it into an emulated link (bench/scenarios/embedded.yaml's:
// 4 Mbit/s up, 14 ms each way, flushed on the runner's 5 ms quantum) over
// the in-memory network into the cloud's HTTP server, which verifies the
// TS as it reads and accounts every frame. uploaders cameras, each with
// its own link and client, upload at once, on a Fake clock stepped 5 ms at
// a time (a flush hands over what 5 ms of a link carries, as in a run;
// the pause between steps, in which the goroutines work, is shared by
// them all). One op is one slice; cpu-ns/op is the process's CPU per
// slice (every goroutine), cpu-ns/MB the same per MB of slice.
func BenchmarkUploadPath(b *testing.B) {
	const uploaders = 32
	m := newTestMedia(b)
	body, af, an := m.ts(b, 0, 150, true, stampFor(3))
	mem := memnet.New(memnet.Options{})
	defer mem.Close()
	cloudClk := clock.NewFake(clock.Epoch().Add(time.Minute))
	c := New(Config{Listen: mem.Listen}, cloudClk, observe.Discard{})
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	fk := clock.NewFake(clock.Epoch())
	clients := make([]*httpapi.Client, uploaders)
	for k := range clients {
		l, err := network.New(network.Options{Clock: fk, Seed: 1, Device: fmt.Sprintf("cam-%d", k), Quantum: 5 * time.Millisecond,
			Dial: mem.Dial,
			Profile: network.Profile{
				Up:   network.Direction{Rate: 4 * units.Mbps, Queue: units.MiB, Delay: units.Duration(14 * time.Millisecond)},
				Down: network.Direction{Rate: 25 * units.Mbps, Delay: units.Duration(14 * time.Millisecond)},
			}})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		cl, err := httpapi.New("http://"+c.HTTPAddr(), httpapi.Options{Dial: l.Dial})
		if err != nil {
			b.Fatal(err)
		}
		defer cl.CloseIdle()
		clients[k] = cl
	}
	// round uploads slice i of every camera at once.
	round := func(i int) {
		done := make(chan error, uploaders)
		for k, cl := range clients {
			s := cloudapi.SliceUpload{Device: fmt.Sprintf("cam-%d", k), Seq: uint64(i), Format: cloudapi.FormatTS,
				UTCStart: clock.Epoch().Add(time.Duration(i) * 10 * time.Second), UTCEnd: clock.Epoch().Add(time.Duration(i+1) * 10 * time.Second),
				FrameSeqFirst: 0, FrameSeqLast: 149, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1,
				Content: bytesContent(body)}
			go func() {
				_, err := cl.UploadSlice(context.Background(), s)
				done <- err
			}()
		}
		for left := uploaders; left > 0; {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				left--
				continue
			default:
			}
			fk.Advance(5 * time.Millisecond)
			time.Sleep(200 * time.Microsecond)
		}
	}
	round(0) // dial, warm the pools
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	cpu0, t0 := processCPU(), fk.Now()
	for i := 0; i < b.N; i += uploaders {
		round(i/uploaders + 1)
	}
	ops := float64((b.N + uploaders - 1) / uploaders * uploaders)
	cpu := float64(processCPU() - cpu0)
	b.ReportMetric(cpu/ops, "cpu-ns/op")
	b.ReportMetric(cpu/ops/(float64(len(body))/1e6), "cpu-ns/MB")
	b.ReportMetric(fk.Now().Sub(t0).Seconds()/(ops/uploaders), "link-s/round")
}

// processCPU is the process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
