package report

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// SchemaVersion is the version of results.jsonl lines and of report.json.
const SchemaVersion = 1

// Lines of results.jsonl. Every line is one JSON object with a "type":
//
//	run     once, first: the RunInfo (scenario, seed, shard, groups with
//	        device ranges, thresholds, window, lag limit)
//	window  one per timeline window (default 10 s): the window's counters,
//	        labelled counts (reasons, stages), exact maxima and histogram
//	        deltas per group, and the connected devices at its end
//	device  one per device, at the end: the per-device totals
//	end     last: finish time, interrupted flag, generator CPU and RSS
//
// Windows carry deltas, so a run killed midway keeps every closed window and
// `fleetsim report` rebuilds totals, percentiles and the timeline from them;
// only the per-device table and the end line are missing then.
const (
	lineTypeRun    = "run"
	lineTypeWindow = "window"
	lineTypeDevice = "device"
	lineTypeEnd    = "end"
)

type lineRun struct {
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	Scenario      string          `json:"scenario"`
	Seed          uint64          `json:"seed"`
	Shard         Shard           `json:"shard"`
	Started       time.Time       `json:"started"`
	WindowMs      int64           `json:"window_ms"`
	LagLimitMs    float64         `json:"lag_limit_ms"`
	WorstDevices  int             `json:"worst_devices"`
	Planned       int             `json:"planned"`
	Groups        []lineRunGroup  `json:"groups"`
	Thresholds    []lineThreshold `json:"thresholds"`
}

type lineRunGroup struct {
	Name    string   `json:"name"`
	Planned int      `json:"planned"`
	Devices [][2]int `json:"devices"`
}

type lineThreshold struct {
	Name      string `json:"name"`
	Condition string `json:"condition"`
}

type lineWindow struct {
	Type      string                `json:"type"`
	Index     int                   `json:"index"`
	Start     time.Time             `json:"start"`
	End       time.Time             `json:"end"`
	Connected int64                 `json:"connected"`
	Groups    map[string]*lineGroup `json:"groups,omitempty"`
}

type lineGroup struct {
	Counters map[string]int64  `json:"counters,omitempty"`
	Labels   map[string]int64  `json:"labels,omitempty"` // "category/label"
	MaxUS    map[string]int64  `json:"max_us,omitempty"`
	HistUS   map[string]sparse `json:"hist_us,omitempty"`
}

type lineDevice struct {
	Type string `json:"type"`
	DeviceRow
}

type lineEnd struct {
	Type        string         `json:"type"`
	Finished    time.Time      `json:"finished"`
	Interrupted bool           `json:"interrupted"`
	Generator   GeneratorStats `json:"generator"`
}

// GeneratorStats is what the runner measured of its own process.
type GeneratorStats struct {
	CPUSeconds   float64 `json:"cpu_seconds"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	// Procs is the most cores (GOMAXPROCS) the run used; shards add up.
	Procs int `json:"procs,omitempty"`
}

// DeviceRow is one device's totals: a line of results.jsonl and a row of
// the report's worst-device tables.
type DeviceRow struct {
	Device        int    `json:"device"`
	Group         string `json:"group"`
	Sent          int64  `json:"sent"`
	Delivered     int64  `json:"delivered"`
	DroppedDevice int64  `json:"dropped_device"`
	// DroppedByPolicy is the part of DroppedDevice the plan wanted dropped
	// (observe.ByPolicy); LossRatio leaves it out, like frames in flight.
	DroppedByPolicy int64   `json:"dropped_by_policy"`
	LostNetwork     int64   `json:"lost_network"`
	RejectedCloud   int64   `json:"rejected_cloud"`
	InFlight        int64   `json:"in_flight"`
	DoubleFates     int64   `json:"double_fates"`
	LossRatio       float64 `json:"loss_ratio"`
	BytesDelivered  int64   `json:"bytes_delivered"`
	LatencyMeanMs   float64 `json:"latency_mean_ms"`
	LatencyMaxMs    float64 `json:"latency_max_ms"`
	Connected       bool    `json:"connected"`
	Reconnects      int64   `json:"reconnects"`
	ConnFailures    int64   `json:"conn_failures"`
}

// resultsWriter writes lines, flushing after each so that a killed run keeps
// everything written so far. It keeps the first error.
// When the underlying writer has its own Flush (a bufio.Writer of the
// runner), it is flushed too, so every window reaches the file.
type resultsWriter struct {
	mu    sync.Mutex
	bw    *bufio.Writer
	under interface{ Flush() error }
	err   error
}

func newResultsWriter(w io.Writer) *resultsWriter {
	if w == nil {
		return nil
	}
	rw := &resultsWriter{bw: bufio.NewWriterSize(w, 64<<10)}
	rw.under, _ = w.(interface{ Flush() error })
	return rw
}

// write writes one line per value; flush says whether to flush afterwards.
func (rw *resultsWriter) write(flush bool, vs ...any) error {
	if rw == nil {
		return nil
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	for _, v := range vs {
		if rw.err != nil {
			return rw.err
		}
		b, err := json.Marshal(v)
		if err != nil {
			rw.err = err
			return err
		}
		b = append(b, '\n')
		if _, err := rw.bw.Write(b); err != nil {
			rw.err = err
		}
	}
	if flush && rw.err == nil {
		rw.err = rw.bw.Flush()
		if rw.err == nil && rw.under != nil {
			rw.err = rw.under.Flush()
		}
	}
	return rw.err
}
