package report

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// build renders the state into a report and evaluates its thresholds.
func (s *state) build() *Report {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Scenario:      s.scenario,
		Seed:          s.seed,
		Interrupted:   s.interrupted,
		FailReasons:   []string{},
		Warnings:      append([]string{}, s.warnings...),
		Started:       s.started.UTC(),
		Thresholds:    []ThresholdResult{},
		Groups:        []GroupReport{},
		Timeline:      []TimelineRow{},
		Distributions: map[string]map[string][]int64{},
	}
	r.Shards = ShardsInfo{Count: s.shardCount, Present: []int{}}
	for i := 0; i < s.shardCount; i++ {
		if s.shards[i] {
			r.Shards.Present = append(r.Shards.Present, i)
		}
	}
	r.Shards.Complete = len(r.Shards.Present) == s.shardCount && len(s.ended) == s.shardCount
	if len(r.Shards.Present) != s.shardCount {
		r.Warnings = append(r.Warnings, fmt.Sprintf("only %d of %d shards' results were given", len(r.Shards.Present), s.shardCount))
	}
	if len(s.ended) < len(s.shards) {
		// A results file without an end line: the run was killed.
		r.Interrupted = true
		r.Warnings = append(r.Warnings, "results end early (no end line): the run was killed; totals cover the windows written")
	}
	end := s.finished
	if end.IsZero() && len(s.timeline) > 0 {
		end = s.timeline[len(s.timeline)-1].end
	}
	if !end.IsZero() {
		f := end.UTC()
		r.Finished = &f
		r.DurationMs = end.Sub(s.started).Milliseconds()
	}

	// Totals over all groups.
	total := &groupTotals{name: "total", labels: map[labelKey]int64{}}
	for _, g := range s.groups {
		total.planned += g.planned
		total.c.add(&g.c)
		for k, v := range g.labels {
			total.labels[k] = satAdd(total.labels[k], v)
		}
		for m := range g.max {
			total.max[m] = max(total.max[m], g.max[m])
			if g.hist[m] != nil {
				total.h(metric(m)).Merge(g.hist[m])
			}
		}
	}
	total.planned = max(total.planned, s.planned)

	// Devices.
	connectedBy := map[string]int64{}
	var connectedAll int64
	for i := range s.devices {
		if s.devices[i].Connected {
			connectedBy[s.devices[i].Group]++
			connectedAll++
		}
	}
	var peak int64
	for _, p := range s.timeline {
		peak = max(peak, p.connected)
	}
	haveDevices := len(s.ended) > 0 && len(s.devices) > 0
	r.Blocks = blocks(total)
	r.Devices.PeakConnected = peak
	r.Devices.Connected = connectedAll
	if !haveDevices {
		r.Devices.Connected = peak
	}
	r.Devices.ConnectedRatio = ratioPtr(r.Devices.Connected, r.Devices.Planned)
	for _, g := range s.groups {
		if g.planned == 0 && g.c == (counters{}) {
			continue
		}
		gr := GroupReport{Name: g.name, Blocks: blocks(g)}
		gr.Devices.Connected = connectedBy[g.name]
		gr.Devices.ConnectedRatio = ratioPtr(gr.Devices.Connected, gr.Devices.Planned)
		r.Groups = append(r.Groups, gr)
		for m := range numMetrics {
			if g.hist[m] != nil && g.hist[m].TotalCount() > 0 {
				name := metricNames[m]
				if r.Distributions[name] == nil {
					r.Distributions[name] = map[string][]int64{}
				}
				r.Distributions[name][g.name] = toSparse(g.hist[m])
			}
		}
	}

	// Accounting.
	acc := Accounting{
		DoubleFates:            total.c[cDoubleFates],
		DevicesChecked:         haveDevices,
		UnknownDevice:          total.c[cUnknownDevice],
		UnknownKind:            total.c[cUnknownKind],
		NegativeValues:         total.c[cNegativeValues],
		OverRange:              total.c[cOverRange],
		NegativeInFlightSample: []int{},
	}
	for i := range s.devices {
		if s.devices[i].InFlight < 0 {
			acc.NegativeInFlightDevices++
			if len(acc.NegativeInFlightSample) < 10 {
				acc.NegativeInFlightSample = append(acc.NegativeInFlightSample, s.devices[i].Device)
			}
		}
	}
	acc.OK = acc.DoubleFates == 0 && acc.NegativeInFlightDevices == 0 && r.Frames.InFlight >= 0
	r.Accounting = acc

	// Generator.
	r.Generator = Generator{
		LagMs:        total.summary(mGeneratorLag),
		LagLimitMs:   float64(s.lagLimit) / float64(time.Millisecond),
		CPUSeconds:   math.Round(s.generator.CPUSeconds*1000) / 1000,
		PeakRSSBytes: s.generator.PeakRSSBytes,
		Procs:        s.generator.Procs,
		Trustworthy:  true,
	}
	if p := r.Generator.LagMs.P99; p != nil && *p > r.Generator.LagLimitMs {
		r.Generator.Trustworthy = false
		r.Warnings = append(r.Warnings, fmt.Sprintf("generator lag p99 %.3f ms exceeds %.3f ms: the simulator could not keep its schedule, latency figures are not trustworthy", *p, r.Generator.LagLimitMs))
	}

	r.Timeline = s.timelineRows()
	r.WorstDevices = worstDevices(s.devices, s.worstN)

	// Thresholds, then the verdict.
	vals := r.values()
	for _, lt := range s.thresholds {
		r.Thresholds = append(r.Thresholds, evaluate(lt.Name, lt.Condition, vals))
	}
	for _, t := range r.Thresholds {
		if !t.OK {
			r.FailReasons = append(r.FailReasons, fmt.Sprintf("threshold %s %s failed: %s", t.Name, t.Condition, thresholdValue(t)))
		}
	}
	if !acc.OK {
		r.FailReasons = append(r.FailReasons, fmt.Sprintf("frame accounting broken: %d double fates, %d devices with negative in-flight", acc.DoubleFates, acc.NegativeInFlightDevices))
	}
	if r.Interrupted {
		r.FailReasons = append(r.FailReasons, "run interrupted")
	}
	r.Pass = len(r.FailReasons) == 0
	return r
}

func fptr(v float64) *float64 { return &v }

func ratioPtr(a, b int64) *float64 {
	if b <= 0 {
		return nil
	}
	return fptr(ratio(a, b))
}

func labels(g *groupTotals, c category) map[string]int64 {
	out := map[string]int64{}
	for k, v := range g.labels {
		if k.cat == c && v != 0 {
			out[k.name] += v
		}
	}
	return out
}

// blocks computes the metric blocks of one group (or of the total).
func blocks(g *groupTotals) Blocks {
	c := &g.c
	var b Blocks
	b.Devices = Devices{Planned: int64(g.planned), Started: c[cDevicesStarted]}
	fates := c[cFramesDelivered] + c[cFramesDropped] + c[cFramesLost] + c[cFramesRejected]
	// Loss is over the frames whose fate is known and that the device meant
	// to send: drops by plan (observe.ByPolicy) and frames still in flight
	// are neither loss nor delivery.
	failed := c[cFramesDropped] - c[cFramesByPolicy] + c[cFramesLost] + c[cFramesRejected]
	b.Frames = Frames{
		Sent: c[cFramesSent], Delivered: c[cFramesDelivered], DroppedDevice: c[cFramesDropped],
		LostNetwork: c[cFramesLost], RejectedCloud: c[cFramesRejected], InFlight: c[cFramesSent] - fates,
		DroppedByPolicy:  c[cFramesByPolicy],
		LossRatio:        ratioPtr(failed, failed+c[cFramesDelivered]),
		DeliveredRatio:   ratioPtr(c[cFramesDelivered], c[cFramesSent]-c[cFramesByPolicy]),
		BytesSent:        c[cBytesSent],
		BytesDelivered:   c[cBytesDelivered],
		DroppedByReason:  labels(g, catDropped),
		LostByReason:     labels(g, catLost),
		RejectedByReason: labels(g, catRejected),
	}
	b.LatencyMs = Latencies{
		Ingest:          g.summary(mIngest),
		EventFirstFrame: g.summary(mEventFirstFrame),
		SliceUpload:     g.summary(mSliceUpload),
	}
	b.Events = Events{
		Started: c[cEventsStarted], FirstFrame: c[cEventsFirstFrame],
		ReportedOK: c[cEventsReportedOK], ReportedFail: c[cEventsReportedFail],
		Unreported:      max(0, c[cEventsStarted]-c[cEventsReportedOK]-c[cEventsReportedFail]),
		ReportFailRatio: ratioPtr(c[cEventsReportedFail], c[cEventsReportedOK]+c[cEventsReportedFail]),
	}
	b.Segments = Segments{Started: c[cSegmentsStarted], Ended: c[cSegmentsEnded]}
	b.Slices = Slices{
		Cut: c[cSlicesCut], Uploaded: c[cSlicesUploaded], Failed: c[cSlicesFailed],
		Backfilled: c[cSlicesBackfilled], Expired: c[cSlicesExpired], Overwritten: c[cSlicesOverwritten],
		Bytes:          c[cSliceBytes],
		StoredRatio:    ratioPtr(c[cSlicesUploaded]+c[cSlicesBackfilled], c[cSlicesCut]),
		ExpiredRatio:   ratioPtr(c[cSlicesExpired], c[cSlicesCut]),
		FailedByReason: labels(g, catSliceFailed),
	}
	b.Watermarks = Watermarks{Low: c[cWatermarkLow], Warn: c[cWatermarkWarn], High: c[cWatermarkHigh]}
	b.Push = Push{Paused: c[cPushPaused], Resumed: c[cPushResumed]}
	b.Connections = Connections{
		Attempts: c[cConnAttempts], Up: c[cConnUp], Closed: c[cConnClosed], Reconnects: c[cReconnects],
		Failures: c[cConnFailed], FailureRatio: ratioPtr(c[cConnFailed], c[cConnAttempts]),
		FailuresByStage: labels(g, catConnStage),
	}
	b.LiveView = LiveView{
		Reports: c[cLiveViewReports], Packets: c[cLiveViewPackets], Lost: c[cLiveViewLost],
		LossRatio: ratioPtr(c[cLiveViewLost], c[cLiveViewPackets]),
		JitterMs:  g.summary(mLiveJitter),
	}
	return b
}

// timelineRows renders the timeline, merging adjacent windows when there
// are more than MaxTimelinePoints.
func (s *state) timelineRows() []TimelineRow {
	rows := []TimelineRow{}
	per := 1
	for len(s.timeline) > per*MaxTimelinePoints {
		per *= 2
	}
	for i := 0; i < len(s.timeline); i += per {
		ps := s.timeline[i:min(i+per, len(s.timeline))]
		var c counters
		var connected, p99, n int64
		for _, p := range ps {
			c.add(&p.c)
			connected = p.connected // the state at the end of the merged span
			if p.count > 0 {
				p99 = max(p99, p.p99US)
			}
			n += p.count
		}
		first, last := ps[0], ps[len(ps)-1]
		dur := last.end.Sub(first.start).Seconds()
		lost := c[cFramesDropped] + c[cFramesLost] + c[cFramesRejected]
		row := TimelineRow{
			StartS: round3(first.start.Sub(s.started).Seconds()), EndS: round3(last.end.Sub(s.started).Seconds()),
			Connected: connected, Sent: c[cFramesSent], Delivered: c[cFramesDelivered], Lost: lost,
			LossRatio: ratioPtr(lost, c[cFramesSent]), IngestFrames: n,
		}
		if dur > 0 {
			row.FramesPerS = round3(float64(c[cFramesDelivered]) / dur)
			row.SentMbitPerS = round3(float64(c[cBytesSent]) * 8 / dur / 1e6)
			if c[cBytesDelivered] > 0 || c[cFramesDelivered] == 0 {
				row.MbitPerS = fptr(round3(float64(c[cBytesDelivered]) * 8 / dur / 1e6))
			}
		}
		if n > 0 {
			row.IngestP99Ms = msPtr(p99)
		}
		rows = append(rows, row)
	}
	return rows
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// worstDevices lists the n devices with the highest loss ratio and the n
// with the highest maximum latency (ties by device index).
func worstDevices(devs []DeviceRow, n int) WorstDevices {
	w := WorstDevices{ByLoss: []DeviceRow{}, ByLatency: []DeviceRow{}}
	var lossy, slow []DeviceRow
	for _, d := range devs {
		if d.LossRatio > 0 {
			lossy = append(lossy, d)
		}
		if d.Delivered > 0 {
			slow = append(slow, d)
		}
	}
	sort.SliceStable(lossy, func(i, j int) bool {
		if lossy[i].LossRatio != lossy[j].LossRatio {
			return lossy[i].LossRatio > lossy[j].LossRatio
		}
		return lossy[i].Device < lossy[j].Device
	})
	sort.SliceStable(slow, func(i, j int) bool {
		if slow[i].LatencyMaxMs != slow[j].LatencyMaxMs {
			return slow[i].LatencyMaxMs > slow[j].LatencyMaxMs
		}
		return slow[i].Device < slow[j].Device
	})
	w.ByLoss = append(w.ByLoss, lossy[:min(n, len(lossy))]...)
	w.ByLatency = append(w.ByLatency, slow[:min(n, len(slow))]...)
	return w
}
