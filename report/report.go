package report

import "time"

// Report is report.json (DESIGN.md §6). Counts are integers, times are
// milliseconds, ratios are fractions (0.001 = 0.1 %). A value that has no
// data (a percentile of nothing, a ratio over zero) is null.
type Report struct {
	SchemaVersion int      `json:"schema_version"`
	Scenario      string   `json:"scenario"`
	Seed          uint64   `json:"seed"`
	Pass          bool     `json:"pass"`
	Interrupted   bool     `json:"interrupted"`
	FailReasons   []string `json:"fail_reasons"`
	Warnings      []string `json:"warnings"`

	Shards     ShardsInfo `json:"shards"`
	Started    time.Time  `json:"started"`
	Finished   *time.Time `json:"finished"`
	DurationMs int64      `json:"duration_ms"`

	Blocks

	Accounting   Accounting        `json:"accounting"`
	Thresholds   []ThresholdResult `json:"thresholds"`
	Groups       []GroupReport     `json:"groups"`
	Generator    Generator         `json:"generator"`
	Timeline     []TimelineRow     `json:"timeline"`
	WorstDevices WorstDevices      `json:"worst_devices"`
	// Distributions holds the latency histograms, metric → group → sparse
	// pairs [value µs, count, ...], for CDF charts and `fleetsim compare`.
	Distributions map[string]map[string][]int64 `json:"distributions"`
}

// Blocks are the metric blocks the whole run and each group have.
type Blocks struct {
	Devices     Devices     `json:"devices"`
	Frames      Frames      `json:"frames"`
	LatencyMs   Latencies   `json:"latency_ms"`
	Events      Events      `json:"events"`
	Segments    Segments    `json:"segments"`
	Slices      Slices      `json:"slices"`
	Watermarks  Watermarks  `json:"watermarks"`
	Push        Push        `json:"push"`
	Connections Connections `json:"connections"`
	LiveView    LiveView    `json:"live_view"`
}

type ShardsInfo struct {
	Count    int   `json:"count"`
	Present  []int `json:"present"`
	Complete bool  `json:"complete"`
}

type Devices struct {
	Planned   int64 `json:"planned"`
	Started   int64 `json:"started"`
	Connected int64 `json:"connected"`
	// PeakConnected is the most devices connected at a window's end.
	PeakConnected int64 `json:"peak_connected"`
	// ConnectedRatio is Connected over Planned: a threshold that holds
	// whatever --devices scales the fleet to.
	ConnectedRatio *float64 `json:"connected_ratio"`
}

type Frames struct {
	Sent          int64 `json:"sent"`
	Delivered     int64 `json:"delivered"`
	DroppedDevice int64 `json:"dropped_device"`
	LostNetwork   int64 `json:"lost_network"`
	RejectedCloud int64 `json:"rejected_cloud"`
	InFlight      int64 `json:"in_flight"`
	// DroppedByPolicy counts the dropped frames the device's plan did not
	// want uploaded (observe.ByPolicy): part of DroppedDevice, not loss.
	DroppedByPolicy int64 `json:"dropped_by_policy"`
	// LossRatio is (dropped not by policy + lost + rejected) over those plus
	// delivered; DeliveredRatio is delivered over sent minus by-policy drops.
	LossRatio        *float64         `json:"loss_ratio"`
	DeliveredRatio   *float64         `json:"delivered_ratio"`
	BytesSent        int64            `json:"bytes_sent"`
	BytesDelivered   int64            `json:"bytes_delivered"`
	DroppedByReason  map[string]int64 `json:"dropped_by_reason"`
	LostByReason     map[string]int64 `json:"lost_by_reason"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
}

type Latencies struct {
	Ingest          Summary `json:"ingest"`
	EventFirstFrame Summary `json:"event_first_frame"`
	SliceUpload     Summary `json:"slice_upload"`
}

type Events struct {
	Started         int64    `json:"started"`
	FirstFrame      int64    `json:"first_frame"`
	ReportedOK      int64    `json:"reported_ok"`
	ReportedFail    int64    `json:"reported_fail"`
	Unreported      int64    `json:"unreported"`
	ReportFailRatio *float64 `json:"report_fail_ratio"`
}

type Segments struct {
	Started int64 `json:"started"`
	Ended   int64 `json:"ended"`
}

type Slices struct {
	Cut            int64            `json:"cut"`
	Uploaded       int64            `json:"uploaded"`
	Failed         int64            `json:"failed"`
	Backfilled     int64            `json:"backfilled"`
	Expired        int64            `json:"expired"`
	Overwritten    int64            `json:"overwritten"`
	Bytes          int64            `json:"bytes"`
	StoredRatio    *float64         `json:"stored_ratio"`
	ExpiredRatio   *float64         `json:"expired_ratio"`
	FailedByReason map[string]int64 `json:"failed_by_reason"`
}

type Watermarks struct {
	Low  int64 `json:"low"`
	Warn int64 `json:"warn"`
	High int64 `json:"high"`
}

type Push struct {
	Paused  int64 `json:"paused"`
	Resumed int64 `json:"resumed"`
}

type Connections struct {
	Attempts        int64            `json:"attempts"`
	Up              int64            `json:"up"`
	Closed          int64            `json:"closed"`
	Reconnects      int64            `json:"reconnects"`
	Failures        int64            `json:"failures"`
	FailureRatio    *float64         `json:"failure_ratio"`
	FailuresByStage map[string]int64 `json:"failures_by_stage"`
}

type LiveView struct {
	Reports   int64    `json:"reports"`
	Packets   int64    `json:"packets"`
	Lost      int64    `json:"lost"`
	LossRatio *float64 `json:"loss_ratio"`
	JitterMs  Summary  `json:"jitter_ms"`
}

// Accounting surfaces bugs of the frame accounting and of the emitters.
type Accounting struct {
	OK bool `json:"ok"`
	// DoubleFates counts second fates of one frame (not counted as fates).
	DoubleFates int64 `json:"double_fates"`
	// NegativeInFlightDevices counts devices with more fates than frames sent.
	NegativeInFlightDevices int64 `json:"negative_in_flight_devices"`
	NegativeInFlightSample  []int `json:"negative_in_flight_sample"`
	// DevicesChecked says the per-device check ran (false for a killed run,
	// whose results have no device lines).
	DevicesChecked bool  `json:"devices_checked"`
	UnknownDevice  int64 `json:"unknown_device"`
	UnknownKind    int64 `json:"unknown_kind"`
	NegativeValues int64 `json:"negative_values"`
	OverRange      int64 `json:"over_range"`
}

// ThresholdResult is one threshold's verdict.
type ThresholdResult struct {
	Name      string   `json:"name"`
	Condition string   `json:"condition"`
	Value     *float64 `json:"value"`
	OK        bool     `json:"ok"`
	Note      string   `json:"note,omitempty"`
}

// GroupReport is one fleet group's blocks.
type GroupReport struct {
	Name string `json:"name"`
	Blocks
}

type Generator struct {
	LagMs        Summary `json:"lag_ms"`
	LagLimitMs   float64 `json:"lag_limit_ms"`
	Trustworthy  bool    `json:"trustworthy"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	// Procs is the most cores (GOMAXPROCS) the generator used (summed
	// over shards; 0 when not measured).
	Procs int `json:"procs,omitempty"`
}

// TimelineRow is one point of the timeline (a window, or adjacent windows
// merged when the run has more than MaxTimelinePoints windows).
type TimelineRow struct {
	StartS     float64  `json:"start_s"`
	EndS       float64  `json:"end_s"`
	Connected  int64    `json:"connected"`
	Sent       int64    `json:"sent"`
	Delivered  int64    `json:"delivered"`
	Lost       int64    `json:"lost"`
	LossRatio  *float64 `json:"loss_ratio"`
	FramesPerS float64  `json:"frames_per_s"`
	// MbitPerS is delivered throughput; null when the cloud reported no
	// frame sizes. SentMbitPerS is what the devices offered.
	MbitPerS     *float64 `json:"mbit_per_s"`
	SentMbitPerS float64  `json:"sent_mbit_per_s"`
	IngestP99Ms  *float64 `json:"ingest_p99_ms"`
	IngestFrames int64    `json:"ingest_frames"`
}

// MaxTimelinePoints bounds the report's timeline: longer runs merge adjacent
// windows (counts add; p99 is the larger of the windows' p99).
const MaxTimelinePoints = 720

type WorstDevices struct {
	ByLoss    []DeviceRow `json:"by_loss"`
	ByLatency []DeviceRow `json:"by_latency"`
}
