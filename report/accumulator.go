package report

import (
	"context"
	"errors"
	"io"
	"math/bits"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// Accumulator counts a run's observations. It is the run's observe.Sink:
// Observe is safe for concurrent use, takes one shard lock (shards are
// chosen by device index) without ever waiting for it (shardlock.go), and
// does not allocate in the steady state. Latency samples are batched per shard and recorded into the shared
// histograms under one lock per batch, so the histograms exist once per group
// and metric, whatever the number of devices.
type Accumulator struct {
	info   RunInfo
	clock  clock.Clock
	groups []string // by group index; the last is unassigned
	shards []shard
	mask   int
	shift  uint
	nDev   int
	stages [256]string
	out    *resultsWriter
	done   chan struct{}

	nodes   nodePool   // pending observations (shardlock.go)
	closeMu sync.Mutex // serializes window closes and Finish
	tmu     sync.Mutex // guards win and st
	win     [][numMetrics]*hdr.Histogram
	st      *state
	index   int
	winFrom time.Time
	ended   bool
}

// sampleBatch is how many latency samples a shard buffers before it records
// them into the histograms.
const sampleBatch = 1024

type shard struct {
	mu        sync.Mutex
	pending   atomic.Pointer[pendingObs] // observations left for mu's holder (shardlock.go)
	groups    []shardGroup
	devices   []deviceState
	connected int64
	buf       []sample
	_         [64]byte // keep shards' locks on separate cache lines
}

type shardGroup struct {
	c      counters
	labels map[labelKey]int64
	nlab   [numCategories]int
	max    [numMetrics]int64
}

type sample struct {
	v int64
	g uint16
	m metric
}

// NewAccumulator returns an accumulator for the run described by info,
// reading time from clk. When results is not nil the run line is written to
// it now, a window line at every window close and the device and end lines at
// Finish; the writer should be a file the runner closes after Finish.
func NewAccumulator(info RunInfo, clk clock.Clock, results io.Writer) (*Accumulator, error) {
	if err := info.normalize(); err != nil {
		return nil, err
	}
	a := &Accumulator{info: info, clock: clk, out: newResultsWriter(results), done: make(chan struct{})}
	a.stages = stageTable()

	// Devices: the highest index in any group, or Planned when no groups.
	groupOf := map[int]int{}
	maxDev := -1
	for gi, g := range info.Groups {
		a.groups = append(a.groups, g.Name)
		for _, d := range g.Devices {
			groupOf[d] = gi
			maxDev = max(maxDev, d)
		}
	}
	if len(info.Groups) == 0 {
		maxDev = min(info.Planned, MaxDeviceIndex) - 1
	}
	a.groups = append(a.groups, unassignedGroup)
	unassigned := len(a.groups) - 1
	a.nDev = maxDev + 1

	n := 1 << bits.Len(uint(4*runtime.GOMAXPROCS(0)-1)) // next power of two ≥ 4·procs
	n = min(max(n, 4), 64)
	a.shards = make([]shard, n)
	a.mask = n - 1
	a.shift = uint(bits.TrailingZeros(uint(n)))
	for i := range a.shards {
		s := &a.shards[i]
		s.groups = make([]shardGroup, len(a.groups))
		for g := range s.groups {
			s.groups[g].labels = map[labelKey]int64{}
		}
		s.devices = make([]deviceState, (a.nDev+n-1)>>a.shift)
		s.buf = make([]sample, 0, sampleBatch)
	}
	for d := 0; d < a.nDev; d++ {
		dev := a.device(d)
		dev.group = uint16(unassigned)
		if gi, ok := groupOf[d]; ok {
			dev.group = uint16(gi)
		}
	}
	a.win = make([][numMetrics]*hdr.Histogram, len(a.groups))

	a.st = newState(false)
	a.winFrom = clk.Now()
	lr := a.runLine(a.winFrom)
	if err := a.st.applyRun(lr); err != nil {
		return nil, err
	}
	if err := a.out.write(true, lr); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Accumulator) runLine(started time.Time) *lineRun {
	ri := a.info
	lr := &lineRun{
		Type: lineTypeRun, SchemaVersion: SchemaVersion,
		Scenario: ri.Scenario, Seed: ri.Seed, Shard: ri.Shard, Started: started,
		WindowMs: ri.Window.Milliseconds(), LagLimitMs: float64(ri.LagLimit) / float64(time.Millisecond),
		WorstDevices: ri.WorstDevices, Planned: ri.Planned,
		Groups: []lineRunGroup{}, Thresholds: []lineThreshold{},
	}
	inGroups := 0
	for _, g := range ri.Groups {
		devs := append([]int(nil), g.Devices...)
		sort.Ints(devs)
		lr.Groups = append(lr.Groups, lineRunGroup{Name: g.Name, Planned: len(devs), Devices: deviceRanges(devs)})
		inGroups += len(devs)
	}
	if rest := ri.Planned - inGroups; rest > 0 {
		lr.Groups = append(lr.Groups, lineRunGroup{Name: unassignedGroup, Planned: rest, Devices: [][2]int{}})
	}
	for _, t := range ri.Thresholds {
		lr.Thresholds = append(lr.Thresholds, lineThreshold{Name: t.Name, Condition: t.Condition})
	}
	return lr
}

func (a *Accumulator) device(d int) *deviceState {
	return &a.shards[d&a.mask].devices[d>>a.shift]
}

// Observe counts one observation. It is safe for concurrent use.
// An observer never waits for the shard's lock (shardlock.go).
func (a *Accumulator) Observe(o observe.Observation) {
	s := &a.shards[0]
	if d := o.Device; d >= 0 && d < a.nDev {
		s = &a.shards[d&a.mask]
	}
	a.observeShard(s, &o)
}

// apply counts o in its shard s; s.mu held.
func (a *Accumulator) apply(s *shard, o *observe.Observation) {
	var dev *deviceState
	g := len(a.groups) - 1
	if d := o.Device; d >= 0 && d < a.nDev {
		dev = &s.devices[d>>a.shift]
		g = int(dev.group)
	}
	sg := &s.groups[g]
	if dev == nil && o.Kind != observe.GeneratorLag {
		sg.c[cUnknownDevice]++
	}
	switch o.Kind {
	case observe.FrameSent:
		sg.c[cFramesSent]++
		sg.c[cBytesSent] += o.Size
		if dev != nil {
			dev.sent++
		}
	case observe.FrameDelivered:
		if dev != nil && dev.doubleFate(o) {
			sg.c[cDoubleFates]++
			break
		}
		sg.c[cFramesDelivered]++
		sg.c[cBytesDelivered] += o.Size
		us := a.sample(s, sg, g, mIngest, o.Value)
		if dev != nil {
			dev.delivered++
			dev.bytesDelivered += o.Size
			dev.latSumUS += us
			dev.latMaxUS = max(dev.latMaxUS, us)
		}
	case observe.FrameDropped, observe.FrameLost, observe.FrameRejected:
		if dev != nil && dev.doubleFate(o) {
			sg.c[cDoubleFates]++
			break
		}
		switch o.Kind {
		case observe.FrameDropped:
			sg.c[cFramesDropped]++
			a.label(sg, catDropped, o.Reason)
			policy := observe.ByPolicy(o.Reason)
			if policy {
				sg.c[cFramesByPolicy]++
			}
			if dev != nil {
				dev.dropped++
				if policy {
					dev.byPolicy++
				}
			}
		case observe.FrameLost:
			sg.c[cFramesLost]++
			a.label(sg, catLost, o.Reason)
			if dev != nil {
				dev.lost++
			}
		default:
			sg.c[cFramesRejected]++
			a.label(sg, catRejected, o.Reason)
			if dev != nil {
				dev.rejected++
			}
		}
	case observe.EventStarted:
		sg.c[cEventsStarted]++
	case observe.EventFirstFrame:
		sg.c[cEventsFirstFrame]++
		a.sample(s, sg, g, mEventFirstFrame, o.Value)
	case observe.EventReported:
		if o.OK {
			sg.c[cEventsReportedOK]++
		} else {
			sg.c[cEventsReportedFail]++
		}
	case observe.SegmentStarted:
		sg.c[cSegmentsStarted]++
	case observe.SegmentEnded:
		sg.c[cSegmentsEnded]++
	case observe.SliceCut:
		sg.c[cSlicesCut]++
		sg.c[cSliceBytes] += o.Size
	case observe.SliceUploaded:
		sg.c[cSlicesUploaded]++
		a.sample(s, sg, g, mSliceUpload, o.Value)
	case observe.SliceFailed:
		sg.c[cSlicesFailed]++
		a.label(sg, catSliceFailed, o.Reason)
	case observe.SliceBackfilled:
		sg.c[cSlicesBackfilled]++
	case observe.SliceExpired:
		sg.c[cSlicesExpired]++
	case observe.SliceOverwritten:
		sg.c[cSlicesOverwritten]++
	case observe.Watermark:
		switch o.Code {
		case observe.LevelLow:
			sg.c[cWatermarkLow]++
		case observe.LevelWarn:
			sg.c[cWatermarkWarn]++
		case observe.LevelHigh:
			sg.c[cWatermarkHigh]++
		default:
			sg.c[cWatermarkOther]++
		}
	case observe.PushPaused:
		sg.c[cPushPaused]++
	case observe.PushResumed:
		sg.c[cPushResumed]++
	case observe.ConnAttempt:
		sg.c[cConnAttempts]++
	case observe.ConnUp:
		sg.c[cConnUp]++
		if dev != nil {
			dev.everConnected = true
			dev.openConns++
			if dev.openConns == 1 {
				s.connected++
			}
		}
	case observe.ConnClosed:
		sg.c[cConnClosed]++
		if dev != nil && dev.openConns > 0 {
			dev.openConns--
			if dev.openConns == 0 {
				s.connected--
			}
		}
	case observe.ConnFailed:
		sg.c[cConnFailed]++
		name := o.Reason
		if o.Code > 0 && o.Code < len(a.stages) {
			name = a.stages[o.Code]
		}
		a.label(sg, catConnStage, name)
		if dev != nil {
			dev.connFailures++
		}
	case observe.Reconnect:
		sg.c[cReconnects]++
		if dev != nil {
			dev.reconnects++
		}
	case observe.DeviceStarted:
		sg.c[cDevicesStarted]++
	case observe.DeviceStopped:
		sg.c[cDevicesStopped]++
		if dev != nil && dev.openConns > 0 {
			dev.openConns = 0
			s.connected--
		}
	case observe.GeneratorLag:
		a.sample(s, sg, g, mGeneratorLag, o.Value)
	case observe.LiveViewReport:
		sg.c[cLiveViewReports]++
		sg.c[cLiveViewPackets] += o.Size
		sg.c[cLiveViewLost] += int64(o.Code)
		a.sample(s, sg, g, mLiveJitter, o.Value)
	default:
		sg.c[cUnknownKind]++
	}
}

// label counts a reason or stage; s.mu is held.
func (a *Accumulator) label(sg *shardGroup, c category, name string) {
	if name == "" {
		name = labelUnspecified
	}
	k := labelKey{c, name}
	if _, ok := sg.labels[k]; !ok {
		if sg.nlab[c] >= maxLabels {
			k.name = labelOther
		} else {
			sg.nlab[c]++
		}
	}
	sg.labels[k]++
}

// sample buffers a histogram sample; s.mu is held.
func (a *Accumulator) sample(s *shard, sg *shardGroup, g int, m metric, d time.Duration) int64 {
	v, neg, over := clampMicros(d)
	if neg {
		sg.c[cNegativeValues]++
	}
	if over {
		sg.c[cOverRange]++
	}
	if v > sg.max[m] {
		sg.max[m] = v
	}
	s.buf = append(s.buf, sample{v: v, g: uint16(g), m: m})
	if n := len(s.buf); n >= sampleBatch {
		// the histograms' lock is shared by all shards and held for a
		// while by window closes and metrics scrapes: an observer that
		// finds it taken buffers on (shardlock.go says why it must not
		// wait), up to maxBuffered
		if a.tmu.TryLock() {
			a.record(s)
			a.tmu.Unlock()
		} else if n >= maxBuffered {
			a.flush(s)
		}
	}
	return v
}

// maxBuffered bounds a shard's buffered samples while the histograms'
// lock is busy (16 B each).
const maxBuffered = 16 * sampleBatch

// flush records a shard's buffered samples; s.mu is held.
func (a *Accumulator) flush(s *shard) {
	a.tmu.Lock()
	a.record(s)
	a.tmu.Unlock()
}

// record moves a shard's buffered samples into the histograms; s.mu and
// a.tmu are held.
func (a *Accumulator) record(s *shard) {
	for _, x := range s.buf {
		h := a.win[x.g][x.m]
		if h == nil {
			h = newHist()
			a.win[x.g][x.m] = h
		}
		_ = h.RecordValue(x.v) // v is clamped to the range
	}
	s.buf = s.buf[:0]
}

// Run closes a timeline window every RunInfo.Window on the accumulator's
// clock until ctx is done or Finish is called. The runner starts it in its
// own goroutine; tests on a Fake clock may call CloseWindow instead.
func (a *Accumulator) Run(ctx context.Context) error {
	t := a.clock.NewTicker(a.info.Window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.done:
			return nil
		case <-t.C():
			a.CloseWindow()
		}
	}
}

// CloseWindow ends the current timeline window at the clock's now: the
// window's counts join the totals and, when there is a results writer, its
// line is written and flushed. It returns the writer's first error.
func (a *Accumulator) CloseWindow() error {
	a.closeMu.Lock()
	defer a.closeMu.Unlock()
	if a.ended {
		return errors.New("report: window closed after Finish")
	}
	return a.closeWindow(a.clock.Now())
}

func (a *Accumulator) closeWindow(now time.Time) error {
	lw := &lineWindow{Type: lineTypeWindow, Index: a.index, Start: a.winFrom, End: now, Groups: map[string]*lineGroup{}}
	lg := make([]*lineGroup, len(a.groups))
	get := func(g int) *lineGroup {
		if lg[g] == nil {
			lg[g] = &lineGroup{}
			lw.Groups[a.groups[g]] = lg[g]
		}
		return lg[g]
	}
	for i := range a.shards {
		s := &a.shards[i]
		a.lockShard(s)
		if len(s.buf) > 0 {
			a.flush(s)
		}
		for g := range s.groups {
			sg := &s.groups[g]
			for c, v := range sg.c {
				if v != 0 {
					l := get(g)
					if l.Counters == nil {
						l.Counters = map[string]int64{}
					}
					l.Counters[counterNames[c]] += v
				}
			}
			sg.c = counters{}
			for k, v := range sg.labels {
				if v != 0 {
					l := get(g)
					if l.Labels == nil {
						l.Labels = map[string]int64{}
					}
					l.Labels[categoryNames[k.cat]+"/"+k.name] += v
					sg.labels[k] = 0
				}
			}
			for m, v := range sg.max {
				if v != 0 {
					l := get(g)
					if l.MaxUS == nil {
						l.MaxUS = map[string]int64{}
					}
					l.MaxUS[metricNames[m]] = max(l.MaxUS[metricNames[m]], v)
				}
			}
			sg.max = [numMetrics]int64{}
		}
		lw.Connected += s.connected
		a.unlockShard(s)
	}
	a.tmu.Lock()
	if now.Equal(a.winFrom) && a.index > 0 && len(lw.Groups) == 0 && a.emptyWin() {
		a.tmu.Unlock()
		return nil // nothing happened since the last close: no empty window
	}
	for g := range a.win {
		for m, h := range a.win[g] {
			if h != nil && h.TotalCount() > 0 {
				l := get(g)
				if l.HistUS == nil {
					l.HistUS = map[string]sparse{}
				}
				l.HistUS[metricNames[m]] = toSparse(h)
				h.Reset()
			}
		}
	}
	err := a.st.applyWindow(lw)
	a.index++
	a.winFrom = now
	a.tmu.Unlock()
	if err != nil {
		return err
	}
	return a.out.write(true, lw)
}

// emptyWin says no samples wait in the window histograms; a.tmu is held.
func (a *Accumulator) emptyWin() bool {
	for g := range a.win {
		for _, h := range a.win[g] {
			if h != nil && h.TotalCount() > 0 {
				return false
			}
		}
	}
	return true
}

// FinishInfo is what the runner knows at the end of a run.
type FinishInfo struct {
	// Interrupted says the run was stopped early (signal, error, timeout).
	Interrupted bool
	// Generator holds the process's CPU time and peak RSS (ProcessStats).
	Generator GeneratorStats
}

// Finish closes the last window, writes the per-device and end lines and
// returns the report. Observations after Finish are not counted. The error
// is the results writer's first error; the report is valid even then.
func (a *Accumulator) Finish(fi FinishInfo) (*Report, error) {
	a.closeMu.Lock()
	defer a.closeMu.Unlock()
	if a.ended {
		return nil, errors.New("report: Finish called twice")
	}
	now := a.clock.Now()
	werr := a.closeWindow(now)
	a.ended = true
	close(a.done)

	rows := a.deviceRows()
	lines := make([]any, 0, len(rows)+1)
	for i := range rows {
		lines = append(lines, &lineDevice{Type: lineTypeDevice, DeviceRow: rows[i]})
	}
	le := &lineEnd{Type: lineTypeEnd, Finished: now, Interrupted: fi.Interrupted, Generator: fi.Generator}
	lines = append(lines, le)
	if err := a.out.write(true, lines...); werr == nil {
		werr = err
	}

	a.tmu.Lock()
	defer a.tmu.Unlock()
	for i := range rows {
		if err := a.st.applyDevice(&rows[i]); err != nil {
			return nil, err
		}
	}
	if err := a.st.applyEnd(le); err != nil {
		return nil, err
	}
	return a.st.build(), werr
}

// deviceRows snapshots every device of the plan, in index order.
func (a *Accumulator) deviceRows() []DeviceRow {
	var rows []DeviceRow
	for d := 0; d < a.nDev; d++ {
		s := &a.shards[d&a.mask]
		a.lockShard(s)
		dev := &s.devices[d>>a.shift]
		row, ok := dev.row(d, a.groups[dev.group], int(dev.group) != len(a.groups)-1)
		a.unlockShard(s)
		if ok {
			rows = append(rows, row)
		}
	}
	return rows
}

// liveTotals sums the counters of closed windows and of the open window
// (for the metrics endpoint); it returns them per group name, plus the
// devices connected now.
func (a *Accumulator) liveTotals() (map[string]*counters, int64) {
	out := map[string]*counters{}
	for _, name := range a.groups {
		out[name] = &counters{}
	}
	var connected int64
	for i := range a.shards {
		s := &a.shards[i]
		a.lockShard(s)
		for g := range s.groups {
			out[a.groups[g]].add(&s.groups[g].c)
		}
		connected += s.connected
		a.unlockShard(s)
	}
	a.tmu.Lock()
	for _, g := range a.st.groups {
		if c, ok := out[g.name]; ok {
			c.add(&g.c)
		}
	}
	a.tmu.Unlock()
	return out, connected
}

// liveHist calls f with each group's distribution of metric m: closed
// windows plus the samples recorded in the open window.
func (a *Accumulator) liveHist(m metric, f func(group string, h *histView)) {
	views := make([]*histView, len(a.groups))
	a.tmu.Lock()
	for gi, name := range a.groups {
		v := &histView{}
		if i, ok := a.st.groupIndex[name]; ok && a.st.groups[i].hist[m] != nil {
			v.addSparse(toSparse(a.st.groups[i].hist[m]))
		}
		if h := a.win[gi][m]; h != nil {
			v.addSparse(toSparse(h))
		}
		views[gi] = v
	}
	a.tmu.Unlock()
	for gi, name := range a.groups {
		f(name, views[gi])
	}
}

// liveMerged is metric m over all groups (closed windows and the open one)
// as one histogram, for percentiles of the whole run so far.
func (a *Accumulator) liveMerged(m metric) *hdr.Histogram {
	h := newHist()
	a.tmu.Lock()
	defer a.tmu.Unlock()
	for gi, name := range a.groups {
		if i, ok := a.st.groupIndex[name]; ok && a.st.groups[i].hist[m] != nil {
			a.st.groups[i].hist[m].MergeInto(h)
		}
		if w := a.win[gi][m]; w != nil {
			h.Merge(w)
		}
	}
	return h
}

// histView is a distribution in seconds for the metrics endpoint.
type histView struct {
	vals  []float64 // bucket values, seconds
	cnts  []uint64
	count uint64
	sum   float64
}

func (h *histView) addSparse(s sparse) {
	for i := 0; i < len(s); i += 2 {
		v, c := float64(s[i])/1e6, s[i+1]
		h.vals = append(h.vals, v)
		h.cnts = append(h.cnts, uint64(c))
		h.count += uint64(c)
		h.sum += v * float64(c)
	}
}

func (h *histView) add(o *histView) {
	h.vals = append(h.vals, o.vals...)
	h.cnts = append(h.cnts, o.cnts...)
	h.count += o.count
	h.sum += o.sum
}

// buckets returns cumulative counts at the upper bounds.
func (h *histView) buckets(bounds []float64) map[float64]uint64 {
	out := make(map[float64]uint64, len(bounds))
	for _, b := range bounds {
		var n uint64
		for i, v := range h.vals {
			if v <= b {
				n += h.cnts[i]
			}
		}
		out[b] = n
	}
	return out
}

// Planned is the number of devices planned.
func (a *Accumulator) Planned() int { return a.info.Planned }

var _ observe.Sink = (*Accumulator)(nil)
