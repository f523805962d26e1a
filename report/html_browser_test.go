package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

// chartStatus is what the page says about one chart.
type chartStatus struct {
	ID     string  `json:"id"`
	Series int     `json:"series"` // paths with a drawn line
	Bars   int     `json:"bars"`
	NoData bool    `json:"nodata"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

const chartProbe = `Array.from(document.querySelectorAll("svg.chart")).map(function (s) {
  var r = s.getBoundingClientRect();
  return {
    id: s.id,
    series: Array.from(s.querySelectorAll("path.series")).filter(function (p) {
      return (p.getAttribute("d") || "").length > 10 && p.getTotalLength() > 0;
    }).length,
    bars: s.querySelectorAll("rect.bar").length,
    nodata: s.querySelector("text.nodata") !== null,
    width: r.width, height: r.height
  };
})`

// report.html opened in a real headless chromium: every chart renders, the
// script runs without console errors or exceptions, nothing is fetched from
// the network. The screenshot is left in testdata/out/report.png.
func TestHTMLInChromium(t *testing.T) {
	testpeer.Require(t, "chromium")
	r := goldenReport(t)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	htmlPath, err := filepath.Abs(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 1000),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Collect console messages and exceptions from before the navigation on.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	consoleCtx, stopConsole := context.WithCancel(bctx)
	var mu sync.Mutex
	var msgs []chromedp.ConsoleMessage
	collected := make(chan struct{})
	stream := chromedp.Console(consoleCtx)
	go func() {
		defer close(collected)
		for m, err := range stream {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}()

	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+htmlPath)); err != nil {
		t.Fatal(err)
	}
	ready, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.getAttribute("data-ready") || ""`))
	if err != nil || ready != "1" {
		t.Fatalf("page script did not finish: %q, %v", ready, err)
	}
	charts, err := chromedp.Run(bctx, chromedp.Evaluate[[]chartStatus](chartProbe))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cdf-ingest": "series", "cdf-event_first_frame": "series", "cdf-slice_upload": "series",
		"timeline-connected": "series", "timeline-throughput": "series", "timeline-fps": "series",
		"timeline-loss": "series", "timeline-p99": "series",
		"funnel-events": "bars", "funnel-slices": "bars",
	}
	seen := map[string]bool{}
	for _, c := range charts {
		seen[c.ID] = true
		kind, ok := want[c.ID]
		if !ok {
			t.Errorf("unexpected chart %q", c.ID)
			continue
		}
		if c.Width < 100 || c.Height < 100 || c.NoData {
			t.Errorf("chart %s not drawn: %+v", c.ID, c)
		}
		if kind == "series" && c.Series == 0 || kind == "bars" && c.Bars == 0 {
			t.Errorf("chart %s has no %s: %+v", c.ID, kind, c)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("chart %s missing", id)
		}
	}
	// One CDF line per group.
	for _, c := range charts {
		if strings.HasPrefix(c.ID, "cdf-") && c.Series != len(r.Groups) {
			t.Errorf("%s: %d lines, want one per group (%d)", c.ID, c.Series, len(r.Groups))
		}
	}
	// Tables are there and sortable; nothing was fetched.
	checks, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]int](`(function () {
  document.querySelector("#groups th:nth-child(4)").click();
  return {
    thresholds: document.querySelectorAll("#thresholds tbody tr").length,
    groups: document.querySelectorAll("#groups tbody tr").length,
    worst: document.querySelectorAll("#worst-loss tbody tr").length,
    resources: performance.getEntriesByType("resource").length
  };
})()`))
	if err != nil {
		t.Fatal(err)
	}
	if checks["thresholds"] != len(r.Thresholds) || checks["groups"] != len(r.Groups) || checks["worst"] == 0 || checks["resources"] != 0 {
		t.Errorf("page checks %v", checks)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "report.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// The console collector works: a probe message arrives.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`console.error("fleetsim-probe"), true`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := false
		for _, m := range msgs {
			got = got || strings.Contains(m.Text, "fleetsim-probe")
		}
		mu.Unlock()
		if got || time.Now().After(deadline) {
			if !got {
				t.Error("console collector saw nothing: the console check would not catch errors")
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopConsole()
	<-collected
	for _, m := range msgs {
		if strings.Contains(m.Text, "fleetsim-probe") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() || m.Type == chromedp.ConsoleWarning {
			t.Errorf("console %s: %s", m.Type, m.Text)
		}
	}
}
