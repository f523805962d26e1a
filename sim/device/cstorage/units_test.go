package cstorage

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	msource "github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/units"
)

// TestSlicesWithUnits: an SDK given the profile's Units (Deps.Units) makes
// exactly the slices of one without, TS and fMP4, while its open slice
// holds none of the shared units itself (only the stamps, copied).
func TestSlicesWithUnits(t *testing.T) {
	for _, format := range []cloudapi.Format{cloudapi.FormatTS, cloudapi.FormatFMP4} {
		t.Run(string(format), func(t *testing.T) {
			sh, ac := quickstart(t, av.H264)
			clk := clock.NewFake(clock.Epoch())
			cloud := fakecloud.New(clk, fakecloud.Config{Sink: observe.Discard{}, Bandwidth: 4 * units.Mbps})
			var sdks [2]*SDK
			var dumps [2][][]byte
			for k, dict := range []*av.Dict{nil, sh.Units()} {
				mx, err := MediaMuxers(av.H264, ac, sh.FrameInterval())
				if err != nil {
					t.Fatal(err)
				}
				dev := fmt.Sprintf("cam-%d", k)
				cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
				sdks[k] = New(Deps{Clock: clk, Storage: cloud, Sink: observe.Discard{}, Muxers: mx, Units: dict})
				cfg := DefaultConfig(dev, 7)
				cfg.Channels[0].Format = format
				var dump []byte
				err = sdks[k].Init(cfg, Callbacks{DumpFile: func(_ int, d DumpChunk) {
					switch d.State {
					case DumpStart:
						dump = nil
					case DumpRunning:
						dump = append(dump, d.Data...)
					case DumpEnd:
						dumps[k] = append(dumps[k], dump)
					}
				}})
				if err != nil {
					t.Fatal(err)
				}
				defer sdks[k].Close()
			}
			clk.Advance(100 * time.Millisecond)
			src := msource.New(sh, 7, clk, rng.New(1, "src"), msource.SinkFunc(func(f *av.Frame, _ time.Duration) {
				for _, s := range sdks {
					_ = s.PushStream(0, f)
				}
			}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src.Start(ctx)
			clk.Advance(25 * time.Second)
			sdks[1].mu.Lock()
			open := sdks[1].chans[0].open
			refs, distinct := open.frames.Units()
			sdks[1].mu.Unlock()
			src.Stop()
			if refs == 0 || distinct != 0 {
				t.Fatalf("open slice with Units: %d unit references, %d units of its own", refs, distinct)
			}
			if len(dumps[0]) < 2 || len(dumps[0]) != len(dumps[1]) {
				t.Fatalf("%d and %d slices", len(dumps[0]), len(dumps[1]))
			}
			for i := range dumps[0] {
				if !bytes.Equal(dumps[0][i], dumps[1][i]) {
					t.Fatalf("slice %d: %d bytes without Units, %d with: differ", i, len(dumps[0][i]), len(dumps[1][i]))
				}
			}
		})
	}
}
