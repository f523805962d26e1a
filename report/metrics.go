package report

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewMetricsHandler returns the Prometheus /metrics handler the runner
// serves on --metrics-addr while a run lasts. It reads the accumulator at
// scrape time (counters of closed windows plus the open window, histograms
// of everything flushed so far), so observations cost nothing extra. The
// registry is its own (no global state) and also exports the Go runtime and
// process metrics of the generator.
func NewMetricsHandler(a *Accumulator) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(a),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

type collector struct {
	a                                                   *Accumulator
	devices, frames, inFlight, bytes                    *prometheus.Desc
	events, slices, watermarks, push, conns, reconnects *prometheus.Desc
	latency, lag, accounting                            *prometheus.Desc
}

func newCollector(a *Accumulator) *collector {
	g := []string{"group"}
	return &collector{
		a:          a,
		devices:    prometheus.NewDesc("fleetsim_devices", "Devices planned, started (ever) and connected (now).", []string{"state"}, nil),
		frames:     prometheus.NewDesc("fleetsim_frames_total", "Frames by outcome: sent, and the fates delivered, dropped_device, lost_network, rejected_cloud.", []string{"group", "outcome"}, nil),
		inFlight:   prometheus.NewDesc("fleetsim_frames_in_flight", "Frames sent without a fate yet.", g, nil),
		bytes:      prometheus.NewDesc("fleetsim_frame_bytes_total", "Frame bytes sent by devices and delivered to the cloud.", []string{"group", "direction"}, nil),
		events:     prometheus.NewDesc("fleetsim_events_total", "Events by stage: started, first_frame, reported_ok, reported_fail.", []string{"group", "stage"}, nil),
		slices:     prometheus.NewDesc("fleetsim_slices_total", "Slices by outcome: cut, uploaded, failed, backfilled, expired, overwritten.", []string{"group", "outcome"}, nil),
		watermarks: prometheus.NewDesc("fleetsim_watermarks_total", "Send-buffer watermark crossings by level.", []string{"group", "level"}, nil),
		push:       prometheus.NewDesc("fleetsim_push_flow_control_total", "Push flow control: paused, resumed.", []string{"group", "action"}, nil),
		conns:      prometheus.NewDesc("fleetsim_connections_total", "Connection events: attempt, up, closed, failed.", []string{"group", "event"}, nil),
		reconnects: prometheus.NewDesc("fleetsim_reconnects_total", "Reconnections.", g, nil),
		latency:    prometheus.NewDesc("fleetsim_latency_seconds", "Latency: ingest (capture to cloud), event_first_frame, slice_upload.", []string{"group", "metric"}, nil),
		lag:        prometheus.NewDesc("fleetsim_generator_lag_seconds", "How late the simulator emitted frames against their schedule.", nil, nil),
		accounting: prometheus.NewDesc("fleetsim_accounting_errors_total", "Frame accounting errors (double fates): a bug of an emitter.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.devices, c.frames, c.inFlight, c.bytes, c.events, c.slices, c.watermarks, c.push, c.conns, c.reconnects, c.latency, c.lag, c.accounting} {
		ch <- d
	}
}

var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
var lagBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	groups, connected := c.a.liveTotals()
	var started, doubles int64
	for _, name := range c.a.groups {
		cs := groups[name]
		started += cs[cDevicesStarted]
		doubles += cs[cDoubleFates]
		if name == unassignedGroup && *cs == (counters{}) {
			continue
		}
		cnt := func(d *prometheus.Desc, k counter, label string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(cs[k]), name, label)
		}
		cnt(c.frames, cFramesSent, "sent")
		cnt(c.frames, cFramesDelivered, "delivered")
		cnt(c.frames, cFramesDropped, "dropped_device")
		cnt(c.frames, cFramesLost, "lost_network")
		cnt(c.frames, cFramesRejected, "rejected_cloud")
		fates := cs[cFramesDelivered] + cs[cFramesDropped] + cs[cFramesLost] + cs[cFramesRejected]
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(cs[cFramesSent]-fates), name)
		cnt(c.bytes, cBytesSent, "sent")
		cnt(c.bytes, cBytesDelivered, "delivered")
		cnt(c.events, cEventsStarted, "started")
		cnt(c.events, cEventsFirstFrame, "first_frame")
		cnt(c.events, cEventsReportedOK, "reported_ok")
		cnt(c.events, cEventsReportedFail, "reported_fail")
		cnt(c.slices, cSlicesCut, "cut")
		cnt(c.slices, cSlicesUploaded, "uploaded")
		cnt(c.slices, cSlicesFailed, "failed")
		cnt(c.slices, cSlicesBackfilled, "backfilled")
		cnt(c.slices, cSlicesExpired, "expired")
		cnt(c.slices, cSlicesOverwritten, "overwritten")
		cnt(c.watermarks, cWatermarkLow, "low")
		cnt(c.watermarks, cWatermarkWarn, "warn")
		cnt(c.watermarks, cWatermarkHigh, "high")
		cnt(c.push, cPushPaused, "paused")
		cnt(c.push, cPushResumed, "resumed")
		cnt(c.conns, cConnAttempts, "attempt")
		cnt(c.conns, cConnUp, "up")
		cnt(c.conns, cConnClosed, "closed")
		cnt(c.conns, cConnFailed, "failed")
		ch <- prometheus.MustNewConstMetric(c.reconnects, prometheus.CounterValue, float64(cs[cReconnects]), name)
	}
	ch <- prometheus.MustNewConstMetric(c.devices, prometheus.GaugeValue, float64(c.a.info.Planned), "planned")
	ch <- prometheus.MustNewConstMetric(c.devices, prometheus.GaugeValue, float64(started), "started")
	ch <- prometheus.MustNewConstMetric(c.devices, prometheus.GaugeValue, float64(connected), "connected")
	ch <- prometheus.MustNewConstMetric(c.accounting, prometheus.CounterValue, float64(doubles))

	for _, m := range []metric{mIngest, mEventFirstFrame, mSliceUpload} {
		c.a.liveHist(m, func(group string, h *histView) {
			if h.count == 0 && group == unassignedGroup {
				return
			}
			ch <- prometheus.MustNewConstHistogram(c.latency, h.count, h.sum, h.buckets(latencyBuckets), group, metricNames[m])
		})
	}
	total := &histView{}
	c.a.liveHist(mGeneratorLag, func(_ string, h *histView) { total.add(h) })
	ch <- prometheus.MustNewConstHistogram(c.lag, total.count, total.sum, total.buckets(lagBuckets))
}
