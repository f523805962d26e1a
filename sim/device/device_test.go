package device

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/device/cstorage"
	"github.com/fleetsim/fleetsim/sim/device/firmware"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// ledger counts observations and keeps their sequence for comparisons.
type ledger struct {
	mu    sync.Mutex
	kinds map[observe.Kind]int
	drops map[string]int
	log   []string
}

func newLedger() *ledger {
	return &ledger{kinds: map[observe.Kind]int{}, drops: map[string]int{}}
}

func (l *ledger) Observe(o observe.Observation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.kinds[o.Kind]++
	if o.Kind == observe.FrameDropped || o.Kind == observe.FrameLost || o.Kind == observe.FrameRejected {
		l.drops[o.Kind.String()+":"+o.Reason]++
	}
	if o.Kind != observe.GeneratorLag {
		l.log = append(l.log, fmt.Sprintf("%d %s d%d c%d s%d #%d %v %s", o.At.UnixNano(), o.Kind, o.Device, o.Channel, o.Stream, o.Seq, o.Value, o.Reason))
	}
}

func (l *ledger) fates() int {
	return l.kinds[observe.FrameDelivered] + l.kinds[observe.FrameDropped] + l.kinds[observe.FrameLost] + l.kinds[observe.FrameRejected]
}

func quickstartMedia(t testing.TB) *source.Shared {
	sh, err := source.NewShared(source.Profile{
		Video: source.VideoConfig{Codec: av.H264, Width: 640, Height: 360, FPS: 15, GOP: 30, Bitrate: 512 * units.Kbps, IPRatio: 10, Variance: 0.2},
		Audio: source.AudioConfig{Codec: av.AAC, SampleRate: 16000, Channels: 1, Bitrate: 32 * units.Kbps},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

type rig struct {
	clk   *clock.Fake
	cloud *fakecloud.Cloud
	led   *ledger
	dev   *Device
}

func newRig(t testing.TB, plan cloudapi.PlanKind, fw firmware.Config, seed uint64) *rig {
	t.Helper()
	clk := clock.NewFake(clock.Epoch())
	led := newLedger()
	cloud := fakecloud.New(clk, fakecloud.Config{Sink: led, Parser: fakecloud.MediaParser(), Bandwidth: 4 * units.Mbps, Seed: seed})
	cloud.SetPlan("cam-0007", 0, cloudapi.Plan{Kind: plan, Valid: plan != cloudapi.PlanNone, Version: 1})
	cs := cstorage.DefaultConfig("", 0)
	dev, err := New(Config{Index: 7, ID: "cam-0007", RunSeed: seed, Media: quickstartMedia(t), Firmware: fw, CloudStorage: &cs},
		Deps{Clock: clk, Sink: led, Storage: cloud})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{clk: clk, cloud: cloud, led: led, dev: dev}
}

// checkAccounting: every frame sent has one fate or is held by the SDK.
func (r *rig) checkAccounting(t *testing.T) {
	t.Helper()
	r.led.mu.Lock()
	defer r.led.mu.Unlock()
	sent, fates, held := r.led.kinds[observe.FrameSent], r.led.fates(), len(r.dev.InFlight())
	if sent != fates+held {
		t.Fatalf("accounting: sent %d ≠ fates %d + in flight %d (%v)", sent, fates, held, r.led.drops)
	}
}

func TestFullTimeDeviceDeliversItsStream(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newRig(t, cloudapi.PlanFullTime, firmware.Config{}, 1)
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(2 * time.Minute)
	r.checkAccounting(t)
	k := r.led.kinds
	// 2 min: video at i/15 s (i = 0…1800), audio every 64 ms (k = 0…1875);
	// everything but the open slice delivered
	if k[observe.FrameSent] != 1801+1876 || k[observe.FrameDelivered] < 3300 || k[observe.SliceUploaded] < 10 {
		t.Fatalf("sent %d delivered %d slices %d", k[observe.FrameSent], k[observe.FrameDelivered], k[observe.SliceUploaded])
	}
	// Only the start-up, and only by design (none is loss): frames before
	// the plan query returns (no service) and audio held back until the IDR
	// the firmware asks for on push-start (CS10).
	for reason, n := range r.led.drops {
		kind, why, _ := strings.Cut(reason, ":")
		if kind != "frame_dropped" || !observe.ByPolicy(why) || n > 2 {
			t.Fatalf("drops on a clean link: %v", r.led.drops)
		}
	}
	if k[observe.GeneratorLag] != k[observe.FrameSent] {
		t.Fatalf("%d lag observations for %d frames", k[observe.GeneratorLag], k[observe.FrameSent])
	}
	held := len(r.dev.InFlight())
	if err := r.dev.Close(); err != nil {
		t.Fatal(err)
	}
	// the end of a run leaves what the SDK held in flight, with no fate
	if got := r.led.kinds[observe.FrameSent] - r.led.fates(); got != held || held == 0 {
		t.Fatalf("after Close %d frames without a fate, the SDK held %d", got, held)
	}
}

func TestEventPlanMotionMakesReportedEvents(t *testing.T) {
	defer goleak.VerifyNone(t)
	fw := firmware.Config{Motion: firmware.MotionConfig{Rate: units.Frequency(20.0 / 3600), Duration: firmware.Fixed(15 * time.Second)}}
	r := newRig(t, cloudapi.PlanEvent, fw, 2)
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(time.Hour)
	r.checkAccounting(t)
	k := r.led.kinds
	if k[observe.EventStarted] < 8 || k[observe.EventReported] < k[observe.EventStarted]-1 {
		t.Fatalf("events started %d reported %d", k[observe.EventStarted], k[observe.EventReported])
	}
	if k[observe.EventFirstFrame] == 0 || k[observe.EventFirstFrame] > k[observe.EventStarted] {
		t.Fatalf("%d event-first-frame observations for %d events", k[observe.EventFirstFrame], k[observe.EventStarted])
	}
	if k[observe.FrameDelivered] == 0 || k[observe.FrameDelivered] >= k[observe.FrameSent] {
		t.Fatalf("event plan delivered %d of %d frames: want only event video", k[observe.FrameDelivered], k[observe.FrameSent])
	}
	if err := r.dev.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRebootLosesBufferAndResumes(t *testing.T) {
	defer goleak.VerifyNone(t)
	r := newRig(t, cloudapi.PlanFullTime, firmware.Config{}, 3)
	if err := r.dev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(25 * time.Second)
	r.dev.Reboot(30 * time.Second)
	if r.dev.CloudStorage() != nil {
		t.Fatal("SDK still up during a reboot")
	}
	r.clk.Advance(10 * time.Second)
	sentDuringDown := r.led.kinds[observe.FrameSent]
	r.clk.Advance(15 * time.Second)
	if r.led.kinds[observe.FrameSent] != sentDuringDown {
		t.Fatal("frames generated while the device was down")
	}
	r.clk.Advance(time.Minute)
	r.checkAccounting(t)
	if r.dev.CloudStorage() == nil || r.led.kinds[observe.FrameSent] <= sentDuringDown {
		t.Fatal("device did not come back after its reboot")
	}
	if r.led.drops["frame_dropped:"+observe.ReasonRunEnded] == 0 {
		t.Fatalf("reboot dropped nothing the SDK held: %v", r.led.drops)
	}
	if err := r.dev.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSameSeedSameObservations(t *testing.T) {
	run := func() string {
		fw := firmware.Config{
			Motion: firmware.MotionConfig{Rate: units.Frequency(30.0 / 3600), Duration: expSampler(20 * time.Second)},
			Clock:  firmware.ClockConfig{Skew: 2 * time.Second, CorrectEvery: 10 * time.Minute},
		}
		r := newRig(t, cloudapi.PlanEvent, fw, 9)
		if err := r.dev.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.clk.Advance(30 * time.Minute)
		if err := r.dev.Close(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(r.led.log, "\n")
	}
	a, b := run(), run()
	if a != b {
		t.Fatal("two runs with the same seed observed different things")
	}
	if len(a) < 1000 {
		t.Fatal("suspiciously few observations")
	}
}

// BenchmarkDeviceCameraSecond is one camera-second of the quickstart camera
// on a fake clock: source, firmware, cloud-storage SDK and TS muxing, with
// an in-memory cloud that stores slices without parsing them ("device"), or
// parses and verifies every frame as the mock cloud does ("with-cloud").
// The device and its cloud are made afresh every 5,000 camera-seconds
// (outside the timer): the cloud's overlap index grows with every slice it
// stores and is scanned on each upload, so one cloud for all of b.N would
// make the cost per camera-second grow with b.N.
func BenchmarkDeviceCameraSecond(b *testing.B) {
	const segment = 5000 // camera-seconds per device and cloud
	for _, bc := range []struct {
		name   string
		parser fakecloud.Parser
	}{{"device", nil}, {"with-cloud", fakecloud.MediaParser()}} {
		b.Run(bc.name, func(b *testing.B) {
			media := quickstartMedia(b)
			var clk *clock.Fake
			var dev *Device
			start := func() {
				clk = clock.NewFake(clock.Epoch())
				cloud := fakecloud.New(clk, fakecloud.Config{Sink: observe.Discard{}, Parser: bc.parser, Seed: 1})
				cloud.SetPlan("cam-0007", 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true, Version: 1})
				cs := cstorage.DefaultConfig("", 0)
				var err error
				dev, err = New(Config{Index: 7, ID: "cam-0007", RunSeed: 1, Media: media, CloudStorage: &cs},
					Deps{Clock: clk, Sink: observe.Discard{}, Storage: cloud})
				if err != nil {
					b.Fatal(err)
				}
				if err := dev.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				clk.Advance(20 * time.Second) // steady state
				runtime.GC()
			}
			start()
			b.ReportAllocs()
			var cpu time.Duration
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%segment == 0 {
					b.StopTimer()
					cpu += processCPU() - cpu0
					_ = dev.Close()
					start()
					b.StartTimer()
					cpu0 = processCPU()
				}
				clk.Advance(time.Second)
			}
			b.StopTimer()
			cpu += processCPU() - cpu0
			// process CPU (user+system, GC included) per camera-second
			b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/cam-s")
			_ = dev.Close()
		})
	}
}

// BenchmarkFleetCameraSecond is one second of 1,000 quickstart cameras on
// one fake clock (starts spread over a second) against one in-memory cloud
// without parsing: the per-frame work of BenchmarkDeviceCameraSecond, but
// with each frame touching cold device state, as in a fleet run. Reported
// per camera-second.
func BenchmarkFleetCameraSecond(b *testing.B) {
	const n = 1000
	media := quickstartMedia(b)
	clk := clock.NewFake(clock.Epoch())
	cloud := fakecloud.New(clk, fakecloud.Config{Sink: observe.Discard{}, Seed: 1})
	devs := make([]*Device, n)
	for j := range devs {
		id := fmt.Sprintf("cam-%05d", j)
		cloud.SetPlan(id, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true, Version: 1})
		cs := cstorage.DefaultConfig("", 0)
		d, err := New(Config{Index: j, ID: id, RunSeed: 1, Media: media, CloudStorage: &cs},
			Deps{Clock: clk, Sink: observe.Discard{}, Storage: cloud})
		if err != nil {
			b.Fatal(err)
		}
		devs[j] = d
	}
	for j, d := range devs {
		clk.AdvanceTo(clock.Epoch().Add(time.Duration(j) * time.Second / n))
		if err := d.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	clk.Advance(20 * time.Second) // steady state
	b.ReportAllocs()
	runtime.GC()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clk.Advance(time.Second)
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Microsecond)/float64(b.N)/n, "cpu-µs/cam-s")
	for _, d := range devs {
		_ = d.Close()
	}
}

// BenchmarkIdleDeviceHeap measures the heap one started device holds (no
// media flowing yet: its SDK initialised, firmware armed) across many.
func BenchmarkIdleDeviceHeap(b *testing.B) {
	const n = 500
	clk := clock.NewFake(clock.Epoch())
	cloud := fakecloud.New(clk, fakecloud.Config{Sink: observe.Discard{}, Seed: 1})
	media := quickstartMedia(b)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		devs := make([]*Device, n)
		for j := range devs {
			cs := cstorage.DefaultConfig("", 0)
			id := fmt.Sprintf("cam-%05d", j)
			d, err := New(Config{Index: j, ID: id, RunSeed: 1, Media: media, CloudStorage: &cs},
				Deps{Clock: clk, Sink: observe.Discard{}, Storage: cloud})
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			devs[j] = d
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/device")
		for _, d := range devs {
			_ = d.Close()
		}
	}
}

// BenchmarkActiveDeviceHeap measures the heap per recording device (full-
// time plan, quickstart camera, 30 s in, starts spread over 10 s): the
// frames the SDK holds (their headers, NAL unit lists and stamps carved
// from the source's per-GOP chunks), its slices and buffers, and the
// bodies of uploads in progress (Bandwidth makes uploads take time).
func BenchmarkActiveDeviceHeap(b *testing.B) {
	const n = 200
	media := quickstartMedia(b)
	for i := 0; i < b.N; i++ {
		clk := clock.NewFake(clock.Epoch())
		cloud := fakecloud.New(clk, fakecloud.Config{Sink: observe.Discard{}, Seed: 1, Bandwidth: 4 * units.Mbps})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		devs := make([]*Device, n)
		for j := range devs {
			id := fmt.Sprintf("cam-%05d", j)
			cloud.SetPlan(id, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true, Version: 1})
			cs := cstorage.DefaultConfig("", 0)
			d, err := New(Config{Index: j, ID: id, RunSeed: 1, Media: media, CloudStorage: &cs},
				Deps{Clock: clk, Sink: observe.Discard{}, Storage: cloud})
			if err != nil {
				b.Fatal(err)
			}
			devs[j] = d
		}
		for j, d := range devs {
			clk.AdvanceTo(clock.Epoch().Add(time.Duration(j) * 10 * time.Second / n))
			if err := d.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		clk.AdvanceTo(clock.Epoch().Add(30 * time.Second))
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/active-device")
		for _, d := range devs {
			_ = d.Close()
		}
	}
}

// expSampler draws exponential durations with the given mean.
type expSampler time.Duration

func (e expSampler) Sample(r *rand.Rand) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(e))
}

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
