package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// state is everything a report is built from. The live Accumulator and the
// results reader fill it through the same apply functions, so a report
// rendered again from results.jsonl equals the one the run produced.
type state struct {
	scenario     string
	seed         uint64
	shardCount   int
	shards       map[int]bool // shard indices seen (run lines)
	ended        map[int]bool // shard indices with an end line
	started      time.Time
	finished     time.Time
	window       time.Duration
	lagLimit     time.Duration
	worstN       int
	planned      int
	thresholds   []lineThreshold
	groups       []*groupTotals
	groupIndex   map[string]int
	timeline     []*timelinePoint
	keepSparse   bool // keep window histograms to merge shards' windows
	devices      []DeviceRow
	interrupted  bool
	generator    GeneratorStats
	warnings     []string
	scratch      *hdr.Histogram
	currentShard int // shard of the run line read last
}

// groupTotals is one group's totals.
type groupTotals struct {
	name    string
	planned int
	c       counters
	labels  map[labelKey]int64
	max     [numMetrics]int64
	hist    [numMetrics]*hdr.PackedHistogram
}

// summary is the summary of metric m (empty when nothing was recorded).
func (g *groupTotals) summary(m metric) Summary {
	if g.hist[m] == nil {
		return Summary{}
	}
	return summarize(g.hist[m], g.max[m])
}

func (g *groupTotals) h(m metric) *hdr.PackedHistogram {
	if g.hist[m] == nil {
		g.hist[m] = newPacked()
	}
	return g.hist[m]
}

// timelinePoint is one window of the timeline (all groups).
type timelinePoint struct {
	index     int
	start     time.Time
	end       time.Time
	connected int64
	c         counters
	ingest    sparse // window ingest histogram, only when keepSparse
	p99US     int64
	count     int64
}

func newState(keepSparse bool) *state {
	return &state{
		shards:     map[int]bool{},
		ended:      map[int]bool{},
		groupIndex: map[string]int{},
		keepSparse: keepSparse,
		scratch:    newHist(),
	}
}

func (s *state) group(name string) *groupTotals {
	if i, ok := s.groupIndex[name]; ok {
		return s.groups[i]
	}
	g := &groupTotals{name: name, labels: map[labelKey]int64{}}
	s.groupIndex[name] = len(s.groups)
	s.groups = append(s.groups, g)
	return g
}

// maxGroups bounds the groups of a run (each group's histograms take up to
// about 1 MB), so that a bad results file cannot allocate without limit.
const maxGroups = 256

func (s *state) applyRun(lr *lineRun) error {
	if lr.SchemaVersion != SchemaVersion {
		return fmt.Errorf("run line: schema_version %d, this fleetsim reads %d", lr.SchemaVersion, SchemaVersion)
	}
	if lr.Shard.Count <= 0 || lr.Shard.Index < 0 || lr.Shard.Index >= lr.Shard.Count {
		return fmt.Errorf("run line: shard %d/%d out of range", lr.Shard.Index, lr.Shard.Count)
	}
	if lr.WindowMs <= 0 || lr.LagLimitMs <= 0 || math.IsNaN(lr.LagLimitMs) || lr.WorstDevices <= 0 || lr.Planned < 0 {
		return fmt.Errorf("run line: window_ms, lag_limit_ms, worst_devices must be positive and planned not negative")
	}
	if len(lr.Groups) > maxGroups {
		return fmt.Errorf("run line: %d groups, at most %d", len(lr.Groups), maxGroups)
	}
	first := len(s.shards) == 0
	if first {
		s.scenario, s.seed, s.shardCount = lr.Scenario, lr.Seed, lr.Shard.Count
		s.started = lr.Started
		s.window = time.Duration(lr.WindowMs) * time.Millisecond
		s.lagLimit = time.Duration(lr.LagLimitMs * float64(time.Millisecond))
		s.worstN = lr.WorstDevices
		s.thresholds = lr.Thresholds
	} else {
		if lr.Scenario != s.scenario || lr.Seed != s.seed {
			return fmt.Errorf("run line: scenario %q seed %d does not match %q seed %d of the other results", lr.Scenario, lr.Seed, s.scenario, s.seed)
		}
		if lr.Shard.Count != s.shardCount {
			return fmt.Errorf("run line: shard count %d does not match %d", lr.Shard.Count, s.shardCount)
		}
		if time.Duration(lr.WindowMs)*time.Millisecond != s.window {
			return fmt.Errorf("run line: window %d ms does not match %v", lr.WindowMs, s.window)
		}
		if lr.Started.Before(s.started) {
			s.started = lr.Started
		}
	}
	if s.shards[lr.Shard.Index] {
		return fmt.Errorf("run line: shard %d/%d given twice", lr.Shard.Index, lr.Shard.Count)
	}
	s.shards[lr.Shard.Index] = true
	s.currentShard = lr.Shard.Index
	s.planned += lr.Planned
	for _, g := range lr.Groups {
		if g.Planned < 0 {
			return fmt.Errorf("run line: group %q planned %d negative", g.Name, g.Planned)
		}
		s.group(g.Name).planned += g.Planned
	}
	return nil
}

// maxTimelineIndex bounds window indices (a year of 10 s windows).
const maxTimelineIndex = 4 << 20

func (s *state) point(index int, start, end time.Time) (*timelinePoint, error) {
	if index < 0 || index > maxTimelineIndex {
		return nil, fmt.Errorf("window index %d out of range", index)
	}
	// Windows arrive in order per shard; shards interleave only when merged.
	i := sort.Search(len(s.timeline), func(i int) bool { return s.timeline[i].index >= index })
	if i < len(s.timeline) && s.timeline[i].index == index {
		p := s.timeline[i]
		if start.Before(p.start) {
			p.start = start
		}
		if end.After(p.end) {
			p.end = end
		}
		return p, nil
	}
	p := &timelinePoint{index: index, start: start, end: end}
	s.timeline = append(s.timeline, nil)
	copy(s.timeline[i+1:], s.timeline[i:])
	s.timeline[i] = p
	return p, nil
}

func (s *state) applyWindow(lw *lineWindow) error {
	if !lw.End.IsZero() && lw.End.Before(lw.Start) {
		return fmt.Errorf("window %d ends before it starts", lw.Index)
	}
	if len(lw.Groups) > maxGroups {
		return fmt.Errorf("window %d: %d groups, at most %d", lw.Index, len(lw.Groups), maxGroups)
	}
	// Validate everything first so that a bad line changes nothing.
	names := make([]string, 0, len(lw.Groups))
	for name, lg := range lw.Groups {
		if lg == nil {
			return fmt.Errorf("window %d: group %q is null", lw.Index, name)
		}
		for k, v := range lg.Counters {
			if _, ok := parseCounter(k); !ok {
				return fmt.Errorf("window %d: group %q: unknown counter %q", lw.Index, name, k)
			}
			if v < 0 {
				return fmt.Errorf("window %d: group %q: counter %q negative", lw.Index, name, k)
			}
		}
		for k, v := range lg.Labels {
			cat, _, ok := strings.Cut(k, "/")
			if _, known := parseCategory(cat); !ok || !known || v < 0 {
				return fmt.Errorf("window %d: group %q: bad labelled count %q", lw.Index, name, k)
			}
		}
		for k, v := range lg.MaxUS {
			if _, ok := parseMetric(k); !ok || v < 0 || v > histHighest {
				return fmt.Errorf("window %d: group %q: bad max %q", lw.Index, name, k)
			}
		}
		for k, h := range lg.HistUS {
			if _, ok := parseMetric(k); !ok {
				return fmt.Errorf("window %d: group %q: unknown histogram %q", lw.Index, name, k)
			}
			if err := h.validate(); err != nil {
				return fmt.Errorf("window %d: group %q: %s %w", lw.Index, name, k, err)
			}
		}
		names = append(names, name)
	}
	if len(s.groups)+len(names) > maxGroups {
		return fmt.Errorf("window %d: too many groups", lw.Index)
	}
	p, err := s.point(lw.Index, lw.Start, lw.End)
	if err != nil {
		return err
	}
	p.connected += lw.Connected
	sort.Strings(names)
	s.scratch.Reset()
	if err := p.ingest.addTo(s.scratch); err != nil {
		return err
	}
	for _, name := range names {
		lg := lw.Groups[name]
		g := s.group(name)
		for k, v := range lg.Counters {
			c, _ := parseCounter(k)
			g.c[c] = satAdd(g.c[c], v)
			p.c[c] = satAdd(p.c[c], v)
		}
		for k, v := range lg.Labels {
			cat, label, _ := strings.Cut(k, "/")
			cc, _ := parseCategory(cat)
			key := labelKey{cc, label}
			if _, ok := g.labels[key]; !ok && countLabels(g.labels, cc) >= maxLabels {
				key.name = labelOther
			}
			g.labels[key] = satAdd(g.labels[key], v)
		}
		for k, v := range lg.MaxUS {
			m, _ := parseMetric(k)
			if v > g.max[m] {
				g.max[m] = v
			}
		}
		for k, h := range lg.HistUS {
			m, _ := parseMetric(k)
			if err := h.addTo(g.h(m)); err != nil {
				return fmt.Errorf("window %d: group %q: %s %w", lw.Index, name, k, err)
			}
			if m == mIngest {
				if err := h.addTo(s.scratch); err != nil {
					return err
				}
			}
		}
	}
	p.count = s.scratch.TotalCount()
	p.p99US = 0
	if p.count > 0 {
		p.p99US = s.scratch.ValueAtQuantile(99)
	}
	if s.keepSparse {
		p.ingest = toSparse(s.scratch)
	}
	return nil
}

func countLabels(m map[labelKey]int64, c category) int {
	n := 0
	for k := range m {
		if k.cat == c {
			n++
		}
	}
	return n
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// maxDeviceRows bounds the device lines read from results.
const maxDeviceRows = MaxDeviceIndex

func (s *state) applyDevice(d *DeviceRow) error {
	if d.Device < 0 || d.Device >= MaxDeviceIndex {
		return fmt.Errorf("device line: index %d out of range", d.Device)
	}
	if len(s.devices) >= maxDeviceRows {
		return fmt.Errorf("device line: more than %d devices", maxDeviceRows)
	}
	s.devices = append(s.devices, *d)
	return nil
}

// maxProcs bounds an end line's procs (outside input: the shards' sum must
// not overflow).
const maxProcs = 1 << 20

func (s *state) applyEnd(le *lineEnd) error {
	if s.ended[s.currentShard] {
		return fmt.Errorf("end line: shard %d ended twice", s.currentShard)
	}
	if le.Generator.CPUSeconds < 0 || math.IsNaN(le.Generator.CPUSeconds) || le.Generator.PeakRSSBytes < 0 || le.Generator.Procs < 0 || le.Generator.Procs > maxProcs {
		return fmt.Errorf("end line: generator figures out of range (negative, or more than %d procs)", maxProcs)
	}
	s.ended[s.currentShard] = true
	if le.Finished.After(s.finished) {
		s.finished = le.Finished
	}
	s.interrupted = s.interrupted || le.Interrupted
	s.generator.CPUSeconds += le.Generator.CPUSeconds
	s.generator.Procs += le.Generator.Procs
	if le.Generator.PeakRSSBytes > s.generator.PeakRSSBytes {
		s.generator.PeakRSSBytes = le.Generator.PeakRSSBytes
	}
	return nil
}
