package cloud

import (
	"context"
	"io"
	"runtime"
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
// (≈ 680 KB, the quickstart camera's): the HTTP client writes it into an
// emulated link (bench/scenarios/embedded.yaml's: 4 Mbit/s up, 14 ms each
// way, flushed on the runner's 5 ms quantum) over the in-memory network
// into the cloud's HTTP server, which verifies the TS as it reads and
// accounts every frame. The link's clock is a Fake stepped 5 ms at a time,
// so a flush hands over what 5 ms of the link carries, as in a run.
// cpu-ns/op is the process's CPU per slice (every goroutine), cpu-ns/MB
// the same per MB of slice.
func BenchmarkUploadPath(b *testing.B) {
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
	l, err := network.New(network.Options{Clock: fk, Seed: 1, Device: "cam-3", Quantum: 5 * time.Millisecond,
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
	upload := func(i int) {
		s := cloudapi.SliceUpload{Device: "cam-3", Seq: uint64(i), Format: cloudapi.FormatTS,
			UTCStart: clock.Epoch().Add(time.Duration(i) * 10 * time.Second), UTCEnd: clock.Epoch().Add(time.Duration(i+1) * 10 * time.Second),
			FrameSeqFirst: 0, FrameSeqLast: 149, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1,
			Content: bytesContent(body)}
		done := make(chan error, 1)
		go func() {
			_, err := cl.UploadSlice(context.Background(), s)
			done <- err
		}()
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				return
			default:
			}
			fk.Advance(5 * time.Millisecond)
			runtime.Gosched()
			time.Sleep(20 * time.Microsecond)
		}
	}
	upload(0) // dial, warm the pools
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		upload(i + 1)
	}
	cpu := float64(processCPU() - cpu0)
	b.ReportMetric(cpu/float64(b.N), "cpu-ns/op")
	b.ReportMetric(cpu/float64(b.N)/(float64(len(body))/1e6), "cpu-ns/MB")
}

// processCPU is the process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
