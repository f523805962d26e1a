package cstorage

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// wholeMuxer hides a Muxer's Cutter: the SDK muxes its slices whole into
// pooled bodies (the path before streaming).
type wholeMuxer struct{ Muxer }

// BenchmarkActiveSDKsMedia is BenchmarkActiveSDKs with the TS muxer of
// media/mpegts, streamed (the SDK holds a slice's frames only) and whole
// (a muxed body per upload in progress): heap per recording device.
func BenchmarkActiveSDKsMedia(b *testing.B) {
	const n = 200
	sh, ac := quickstart(b, av.H264)
	for _, streamed := range []bool{true, false} {
		b.Run(map[bool]string{true: "ts-streamed", false: "ts-whole"}[streamed], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				clk := clock.NewFake(clock.Epoch())
				cloud := fakecloud.New(clk, fakecloud.Config{Bandwidth: 4 * units.Mbps})
				pool := NewBodyPool()
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				sdks := make([]*SDK, n)
				srcs := make([]*source, n)
				for j := range sdks {
					mx, err := MediaMuxers(av.H264, ac, sh.FrameInterval())
					if err != nil {
						b.Fatal(err)
					}
					if !streamed {
						mx[cloudapi.FormatTS] = wholeMuxer{mx[cloudapi.FormatTS]}
					}
					d := fmt.Sprintf("cam-%05d", j)
					cloud.SetPlan(d, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
					sdks[j] = New(Deps{Clock: clk, Storage: cloud, Sink: observe.Discard{}, Bodies: pool, Muxers: mx})
					if err := sdks[j].Init(DefaultConfig(d, j), Callbacks{}); err != nil {
						b.Fatal(err)
					}
				}
				clk.Advance(100 * time.Millisecond)
				for j := range srcs {
					srcs[j] = newSource(clk.Now().Add(time.Duration(j)*10*time.Second/n), 30)
					srcs[j].sps, srcs[j].pps = sh.SPS, sh.PPS
				}
				for tick := 0; tick < 3000; tick++ {
					clk.Advance(10 * time.Millisecond)
					for j, src := range srcs {
						until := clk.Now().Sub(src.start)
						for f := src.next(until); f != nil; f = src.next(until) {
							_ = sdks[j].PushStream(0, f)
						}
					}
				}
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/active-sdk")
				for _, s := range sdks {
					s.Close()
				}
			}
		})
	}
}
