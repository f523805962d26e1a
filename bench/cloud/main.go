// Command cloud measures the mock cloud's cost per camera: N RTMP
// publishers of the quickstart profile (640x360 15 fps 512 kbit/s H.264 +
// 32 kbit/s AAC, stamped frames) publish on loopback to an embedded cloud
// that verifies every frame. The publishers run in a child process (this
// binary re-executed with -publish), so the CPU and memory measured with
// getrusage and the Go runtime in this process are the cloud's alone.
//
//	go run ./bench/cloud -n 200,2000 -warmup 10s -window 20s
//
// It prints a Markdown table: cameras, camera-seconds measured, the cloud's
// CPU per camera-second, peak RSS and heap per camera, frames delivered per
// second, and frames delivered versus written (loss on a clean link).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloud/loadgen"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
)

var cpuProfile string

func main() {
	sizes := flag.String("n", "200,2000", "comma-separated fleet sizes")
	warmup := flag.Duration("warmup", 10*time.Second, "time after the last connection before measuring")
	window := flag.Duration("window", 20*time.Second, "measurement window")
	ramp := flag.Duration("ramp", 10*time.Second, "time over which publishers connect")
	publish := flag.Int("publish", 0, "internal: run this many publishers (child mode)")
	url := flag.String("url", "", "internal: rtmp://host:port/app (child mode)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write the cloud's CPU profile of the measurement window here")
	flag.Parse()
	if *publish > 0 {
		os.Exit(runPublishers(*publish, *url, *ramp))
	}
	fmt.Printf("| cameras | camera-s | cloud CPU | CPU / camera-s | peak RSS / camera | heap / camera | frames/s delivered | delivered / written | publish refusals |\n")
	fmt.Printf("|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bad size %q\n", f)
			os.Exit(2)
		}
		if err := measure(n, *ramp, *warmup, *window); err != nil {
			fmt.Fprintln(os.Stderr, "bench/cloud:", err)
			os.Exit(1)
		}
	}
}

// countSink counts observations the way a report accumulator would see
// them, cheaply.
type countSink struct{ delivered, rejected, other atomic.Int64 }

func (s *countSink) Observe(o observe.Observation) {
	switch o.Kind {
	case observe.FrameDelivered:
		s.delivered.Add(1)
	case observe.FrameRejected:
		s.rejected.Add(1)
	default:
		s.other.Add(1)
	}
}

func rusage() (cpu time.Duration, maxRSS int64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, ru.Maxrss << 10 // KiB on Linux
}

func heapInuse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// childStats is what the publisher process reports on stdout at the end.
type childStats struct {
	Sent, Written, Dropped, Lost int64
	Connects, Failures           int64
}

func measure(n int, ramp, warmup, window time.Duration) error {
	runtime.GC()
	sink := &countSink{}
	c := cloud.New(cloud.Config{HTTPAddr: "off", RTPAddr: "off", IdleTimeout: time.Minute}, clock.NewReal(), sink)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Close()
	_, rss0 := rusage()
	heap0 := heapInuse()
	cmd := exec.Command(os.Args[0], "-publish", strconv.Itoa(n), "-url", "rtmp://"+c.RTMPAddr()+"/live", "-ramp", ramp.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// wait for every camera to be live (at most twice the ramp), then warm up
	deadline := time.Now().Add(2 * ramp)
	for c.Snapshot().LiveStreams < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(warmup)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	live0 := c.Snapshot().LiveStreams
	cpu0, _ := rusage()
	d0 := sink.delivered.Load()
	t0 := time.Now()
	time.Sleep(window)
	cpu1, rss1 := rusage()
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	d1 := sink.delivered.Load()
	el := time.Since(t0)
	heap1 := heapInuse()
	live := c.Snapshot().LiveStreams
	_ = cmd.Process.Signal(os.Interrupt)
	var cs childStats
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &cs); err == nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("publishers: %w", err)
	}
	// let the cloud see the last frames, then compare with what was written
	time.Sleep(500 * time.Millisecond)
	snap := c.Snapshot()
	// camera-seconds of the cameras actually live during the window
	camS := float64(live0+live) / 2 * el.Seconds()
	cpu := cpu1 - cpu0
	fmt.Printf("| %d | %.0f | %.2f s | %.3f ms | %.0f KiB | %.0f KiB | %.0f | %d / %d (%d live at the end) | %d |\n",
		n, camS, cpu.Seconds(), float64(cpu.Microseconds())/1000/camS,
		float64(rss1-rss0)/float64(live)/1024, float64(heap1-heap0)/float64(live)/1024,
		float64(d1-d0)/el.Seconds(), sink.delivered.Load(), cs.Written, live, snap.PublishRefused)
	return nil
}

// runPublishers is the child: n publishers connected evenly over ramp,
// until SIGINT; then it prints its totals as one JSON line.
func runPublishers(n int, base string, ramp time.Duration) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	sh, err := source.NewShared(loadgen.Quickstart())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	clk := clock.NewReal()
	pubs := make([]*loadgen.Publisher, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range pubs {
		p, err := loadgen.New(loadgen.Config{URL: fmt.Sprintf("%s/cam-%05d", base, i), Device: i, Shared: sh, Clock: clk,
			Rand: rng.New(1, "bench", strconv.Itoa(i)), Sink: observe.Discard{}, Queue: 256})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		pubs[i] = p
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
		// publisher i starts at start + i·ramp/n (absolute, so a loaded
		// machine's timer latency does not stretch the ramp)
		if wait := time.Until(start.Add(ramp * time.Duration(i+1) / time.Duration(n))); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			pubs = pubs[:i+1]
			break
		}
	}
	<-ctx.Done()
	wg.Wait()
	var cs childStats
	errs := map[string]int{}
	for _, p := range pubs {
		s := p.Stats()
		if s.LastErr != "" {
			errs[s.LastErr]++
		}
		cs.Sent += s.Sent
		cs.Written += s.Written
		cs.Dropped += s.Dropped
		cs.Lost += s.Lost
		cs.Connects += s.Connects
		cs.Failures += s.ConnectFailures
	}
	b, _ := json.Marshal(cs)
	fmt.Println(string(b))
	fmt.Fprintf(os.Stderr, "publishers: %+v\n", cs)
	for e, k := range errs {
		fmt.Fprintf(os.Stderr, "  %d× %s\n", k, e)
	}
	return 0
}
