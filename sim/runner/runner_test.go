package runner

import (
	"sync/atomic"

	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/report"
	"github.com/fleetsim/fleetsim/sim/rng"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// small is a short embedded-cloud run: two groups, a lossy link, events.
const small = `
name: runner-test
seed: 7
duration: 12s
networks:
  lossy: {up: {rate: 2mbit, delay: 20ms, jitter: 5ms, loss: 0.5%}, down: {delay: 20ms}}
profiles:
  cam:
    video: {codec: h264, resolution: 640x360, fps: 15, gop: 15, bitrate: 512k}
    audio: {codec: aac, sample_rate: 16000, bitrate: 32k}
    sdk: {kind: cloud-storage, format: ts, slice_duration: 2s}
  cam265:
    video: {codec: h265, resolution: 640x360, fps: 15, gop: 15, bitrate: 512k}
    audio: {codec: none}
    sdk: {kind: cloud-storage, format: fmp4, slice_duration: 2s}
fleet:
  - {group: homes, count: 4, profile: cam, network: lossy, plan: {full-time: 100%}}
  - {group: shops, count: 2, profile: cam265, plan: {event: 50%, full-time: 50%}, motion: {rate: 360/h, duration: 3s}}
ramp: {over: 1s}
thresholds:
  slices.expired: "== 0"
  frames.delivered: "> 0"
`

func load(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("test.yaml", []byte(src), scenarios.Options{
		KnownMetric: report.KnownMetric,
		CheckThreshold: func(m, c string) error {
			_, err := report.ParseThreshold(m, c)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// deviceRows reads the per-device lines of results.jsonl.
func deviceRows(t *testing.T, dir string) []report.DeviceRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, report.FileResults))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []report.DeviceRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var probe struct{ Type string }
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			t.Fatalf("results line %q: %v", sc.Text(), err)
		}
		if probe.Type == "device" {
			var r report.DeviceRow
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func checkIdentity(t *testing.T, rep *report.Report, rows []report.DeviceRow, devices int) {
	t.Helper()
	if !rep.Accounting.OK {
		t.Fatalf("accounting not ok: %+v", rep.Accounting)
	}
	if len(rows) != devices {
		t.Fatalf("%d device rows, want %d", len(rows), devices)
	}
	for _, r := range rows {
		if r.Sent != r.Delivered+r.DroppedDevice+r.LostNetwork+r.RejectedCloud+r.InFlight || r.InFlight < 0 || r.DoubleFates != 0 {
			t.Errorf("device %d: sent %d ≠ delivered %d + dropped %d + lost %d + rejected %d + in flight %d (double %d)",
				r.Device, r.Sent, r.Delivered, r.DroppedDevice, r.LostNetwork, r.RejectedCloud, r.InFlight, r.DoubleFates)
		}
	}
}

func TestRunWritesReportsAndAccountsEveryFrame(t *testing.T) {
	for _, tc := range []struct{ transport, banner string }{
		{"", "transport memory"}, // the default
		{TransportTCP, "transport tcp"},
	} {
		t.Run("transport="+tc.transport, func(t *testing.T) {
			testRunWritesReports(t, tc.transport, tc.banner)
		})
	}
}

func testRunWritesReports(t *testing.T, transport, banner string) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Scenario: load(t, small), OutDir: dir, Out: &out, Progress: "lines", Grace: 3 * time.Second,
		Transport: transport})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, f := range []string{report.FileResults, "report.json", "report.md", "report.html", "junit.xml"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	rep := res.Report
	if res.Interrupted || rep.Interrupted {
		t.Fatal("a run that reached its duration says it was interrupted")
	}
	if !rep.Pass {
		t.Fatalf("thresholds failed:\n%s", out.String())
	}
	if rep.Devices.Planned != 6 || rep.Devices.Connected != 6 {
		t.Fatalf("devices planned %d connected %d:\n%s", rep.Devices.Planned, rep.Devices.Connected, out.String())
	}
	if rep.Frames.Delivered == 0 || rep.Slices.Uploaded == 0 || rep.LatencyMs.Ingest.Count == 0 {
		t.Fatalf("nothing delivered:\n%s", out.String())
	}
	checkIdentity(t, rep, deviceRows(t, dir), 6)
	if p := rep.Generator.Procs; p != runtime.GOMAXPROCS(0) {
		t.Errorf("generator.procs %d, want GOMAXPROCS %d (no ProcsPeak given)", p, runtime.GOMAXPROCS(0))
	}
	// the report renders again from results alone, with the same totals
	again, err := report.LoadResults(filepath.Join(dir, report.FileResults))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep.Frames, again.Frames); d != "" {
		t.Fatalf("frames re-rendered from results differ (-run +results):\n%s", d)
	}
	if again.Generator.Procs != rep.Generator.Procs {
		t.Errorf("generator.procs %d from results, %d in the run", again.Generator.Procs, rep.Generator.Procs)
	}
	if !strings.Contains(out.String(), "connected") {
		t.Fatalf("no progress lines:\n%s", out.String())
	}
	if !strings.Contains(out.String(), banner) {
		t.Fatalf("the plan line does not say %q:\n%s", banner, out.String())
	}
}

// TestInterruptAtARandomMoment stops a run with an interrupt at a seeded
// random moment: the report is written, marked interrupted, and every
// device's accounting holds.
func TestInterruptAtARandomMoment(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sc := load(t, small)
	sc.Duration = 60 * 1e9
	at := time.Duration(2000+rng.New(uint64(time.Now().UnixNano()), "interrupt").IntN(4000)) * time.Millisecond
	t.Logf("interrupting after %v", at)
	sig := make(chan os.Signal, 2)
	time.AfterFunc(at, func() { sig <- os.Interrupt })
	dir := t.TempDir()
	var out bytes.Buffer
	start := time.Now()
	res, err := Run(context.Background(), Options{Scenario: sc, OutDir: dir, Out: &out, Progress: "off", Interrupts: sig, Grace: 2 * time.Second})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("interrupted run took %v", took)
	}
	if !res.Interrupted || !res.Report.Interrupted {
		t.Fatal("report not marked interrupted")
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(b, &js); err != nil || js["interrupted"] != true {
		t.Fatalf("report.json interrupted=%v err=%v", js["interrupted"], err)
	}
	checkIdentity(t, res.Report, deviceRows(t, dir), 6)
}

func TestAbortOnFailStopsEarly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	src := strings.Replace(small, `  frames.delivered: "> 0"`, `  slices.uploaded: {condition: "< 1", abort_on_fail: true}`, 1)
	sc := load(t, src)
	sc.Duration = 60 * 1e9
	dir := t.TempDir()
	var out bytes.Buffer
	start := time.Now()
	res, err := Run(context.Background(), Options{Scenario: sc, OutDir: dir, Out: &out, Progress: "off", Window: 2 * time.Second, Grace: time.Second})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("run with a failing abort-on-fail threshold took %v", took)
	}
	if res.Report.Pass || !res.Interrupted || !strings.Contains(out.String(), "aborting: threshold slices.uploaded") {
		t.Fatalf("pass=%v interrupted=%v\n%s", res.Report.Pass, res.Interrupted, out.String())
	}
}

// TestHTTPTargetAccountsFromReceipts runs cloud-storage cameras against an
// "external" HTTP API — a mock cloud in this process that reports its frame
// fates to its own sink only — and checks that the frames the run counts as
// delivered, from the API's receipts, are exactly the frames the API says
// it stored.
func TestHTTPTargetAccountsFromReceipts(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var apiDelivered atomic.Int64
	// the API knows the devices by the fleet plan's ids (their stamps carry
	// the fleet index)
	index := map[string]int{}
	for _, d := range scenarios.NewFleetPlan(load(t, small)).Devices {
		index[d.ID] = d.Index
	}
	apiCfg := cloud.Config{RTMPAddr: "off", RTPAddr: "off", DeviceIndex: func(id string) int {
		if i, ok := index[id]; ok {
			return i
		}
		return -1
	}}
	api := cloud.New(apiCfg, clock.NewReal(), observe.SinkFunc(func(o observe.Observation) {
		if o.Kind == observe.FrameDelivered {
			apiDelivered.Add(1)
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := api.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	src := strings.Replace(small, "name: runner-test\n", "name: runner-test\ntarget: {kind: http, url: \""+api.BaseURL()+"\"}\n", 1)
	sc := load(t, src)
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Scenario: sc, OutDir: dir, Out: &out, Progress: "off", Grace: 3 * time.Second})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	rep := res.Report
	if !rep.Pass || rep.Frames.Delivered == 0 {
		t.Fatalf("pass=%v delivered=%d\n%s", rep.Pass, rep.Frames.Delivered, out.String())
	}
	if got, want := rep.Frames.Delivered, apiDelivered.Load(); got != want {
		t.Fatalf("run counts %d frames delivered from receipts, the API stored %d", got, want)
	}
	if !strings.Contains(out.String(), "the HTTP API "+api.BaseURL()) {
		t.Fatalf("plan line does not name the target:\n%s", out.String())
	}
	checkIdentity(t, rep, deviceRows(t, dir), 6)
}
