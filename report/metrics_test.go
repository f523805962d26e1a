package report

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

func TestMetricsEndpoint(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	acc, err := NewAccumulator(RunInfo{Scenario: "m", Groups: []Group{{Name: "cams", Devices: []int{0, 1, 2}}}}, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 3; d++ {
		acc.Observe(observe.Observation{Kind: observe.DeviceStarted, Device: d})
		acc.Observe(observe.Observation{Kind: observe.ConnUp, Device: d})
	}
	acc.Observe(observe.Observation{Kind: observe.ConnClosed, Device: 2})
	acc.Observe(observe.Observation{Kind: observe.Reconnect, Device: 2})
	for s := uint64(1); s <= 10; s++ {
		acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 0, Seq: s, Size: 1000})
		if s <= 8 {
			acc.Observe(observe.Observation{Kind: observe.FrameDelivered, Device: 0, Seq: s, Size: 1000, Value: time.Duration(s) * 20 * time.Millisecond})
		}
	}
	acc.Observe(observe.Observation{Kind: observe.FrameLost, Device: 0, Seq: 9})
	acc.Observe(observe.Observation{Kind: observe.Watermark, Device: 1, Code: observe.LevelHigh})
	acc.Observe(observe.Observation{Kind: observe.GeneratorLag, Device: 1, Value: 3 * time.Millisecond})
	// Half of it in a closed window, the rest in the open one.
	clk.Advance(10 * time.Second)
	if err := acc.CloseWindow(); err != nil {
		t.Fatal(err)
	}
	acc.Observe(observe.Observation{Kind: observe.FrameSent, Device: 1, Seq: 1})

	srv := httptest.NewServer(NewMetricsHandler(acc))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	for _, want := range []string{
		`fleetsim_devices{state="planned"} 3`,
		`fleetsim_devices{state="started"} 3`,
		`fleetsim_devices{state="connected"} 2`,
		`fleetsim_frames_total{group="cams",outcome="sent"} 11`,
		`fleetsim_frames_total{group="cams",outcome="delivered"} 8`,
		`fleetsim_frames_total{group="cams",outcome="lost_network"} 1`,
		`fleetsim_frames_in_flight{group="cams"} 2`,
		`fleetsim_watermarks_total{group="cams",level="high"} 1`,
		`fleetsim_reconnects_total{group="cams"} 1`,
		`fleetsim_latency_seconds_bucket{group="cams",metric="ingest",le="0.1"} 5`,
		`fleetsim_latency_seconds_count{group="cams",metric="ingest"} 8`,
		`fleetsim_generator_lag_seconds_count 1`,
		`fleetsim_generator_lag_seconds_bucket{le="0.005"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}
	problems, err := promlint.New(strings.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}
