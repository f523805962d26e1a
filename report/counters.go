package report

import "fmt"

// counter is one integer the accumulator counts per group.
type counter uint8

const (
	cFramesSent counter = iota
	cFramesDelivered
	cFramesDropped
	cFramesLost
	cFramesRejected
	cDoubleFates
	cBytesSent
	cBytesDelivered
	cEventsStarted
	cEventsFirstFrame
	cEventsReportedOK
	cEventsReportedFail
	cSegmentsStarted
	cSegmentsEnded
	cSlicesCut
	cSlicesUploaded
	cSlicesFailed
	cSlicesBackfilled
	cSlicesExpired
	cSlicesOverwritten
	cSliceBytes
	cWatermarkLow
	cWatermarkWarn
	cWatermarkHigh
	cWatermarkOther
	cPushPaused
	cPushResumed
	cConnAttempts
	cConnUp
	cConnFailed
	cConnClosed
	cReconnects
	cDevicesStarted
	cDevicesStopped
	cLiveViewReports
	cLiveViewPackets
	cLiveViewLost
	cNegativeValues
	cOverRange
	cUnknownDevice
	cUnknownKind
	cFramesByPolicy
	numCounters
)

// counterNames are the keys of counters in results.jsonl window lines.
var counterNames = [numCounters]string{
	cFramesSent:         "frames.sent",
	cFramesDelivered:    "frames.delivered",
	cFramesDropped:      "frames.dropped_device",
	cFramesLost:         "frames.lost_network",
	cFramesRejected:     "frames.rejected_cloud",
	cDoubleFates:        "frames.double_fates",
	cBytesSent:          "frames.bytes_sent",
	cBytesDelivered:     "frames.bytes_delivered",
	cEventsStarted:      "events.started",
	cEventsFirstFrame:   "events.first_frame",
	cEventsReportedOK:   "events.reported_ok",
	cEventsReportedFail: "events.reported_fail",
	cSegmentsStarted:    "segments.started",
	cSegmentsEnded:      "segments.ended",
	cSlicesCut:          "slices.cut",
	cSlicesUploaded:     "slices.uploaded",
	cSlicesFailed:       "slices.failed",
	cSlicesBackfilled:   "slices.backfilled",
	cSlicesExpired:      "slices.expired",
	cSlicesOverwritten:  "slices.overwritten",
	cSliceBytes:         "slices.bytes",
	cWatermarkLow:       "watermarks.low",
	cWatermarkWarn:      "watermarks.warn",
	cWatermarkHigh:      "watermarks.high",
	cWatermarkOther:     "watermarks.other",
	cPushPaused:         "push.paused",
	cPushResumed:        "push.resumed",
	cConnAttempts:       "connections.attempts",
	cConnUp:             "connections.up",
	cConnFailed:         "connections.failures",
	cConnClosed:         "connections.closed",
	cReconnects:         "connections.reconnects",
	cDevicesStarted:     "devices.started",
	cDevicesStopped:     "devices.stopped",
	cLiveViewReports:    "live_view.reports",
	cLiveViewPackets:    "live_view.packets",
	cLiveViewLost:       "live_view.lost",
	cNegativeValues:     "accounting.negative_values",
	cOverRange:          "accounting.over_range",
	cUnknownDevice:      "accounting.unknown_device",
	cUnknownKind:        "accounting.unknown_kind",
	cFramesByPolicy:     "frames.dropped_by_policy",
}

func parseCounter(s string) (counter, bool) {
	for i, n := range counterNames {
		if n == s {
			return counter(i), true
		}
	}
	return 0, false
}

// counters is one group's set of counters.
type counters [numCounters]int64

func (c *counters) add(o *counters) {
	for i := range c {
		c[i] += o[i]
	}
}

// category of a labelled count (reasons and stages).
type category uint8

const (
	catDropped category = iota
	catLost
	catRejected
	catSliceFailed
	catConnStage
	numCategories
)

var categoryNames = [numCategories]string{
	catDropped:     "frames.dropped_by_reason",
	catLost:        "frames.lost_by_reason",
	catRejected:    "frames.rejected_by_reason",
	catSliceFailed: "slices.failed_by_reason",
	catConnStage:   "connections.failures_by_stage",
}

func parseCategory(s string) (category, bool) {
	for i, n := range categoryNames {
		if n == s {
			return category(i), true
		}
	}
	return 0, false
}

// labelKey is a labelled count: a reason token or a stage name.
type labelKey struct {
	cat  category
	name string
}

// maxLabels bounds the distinct labels one group keeps per category; more
// are counted under "other" so that a misbehaving emitter cannot grow memory.
const maxLabels = 64

// labelOther is where labels beyond maxLabels go, and the name of empty
// reasons is labelUnspecified.
const (
	labelOther       = "other"
	labelUnspecified = "unspecified"
)

// stageName names an RP3 connect-stage code.
func stageName(code int) string {
	switch code {
	case 0x01:
		return "invalid_url"
	case 0x02:
		return "dns"
	case 0x03:
		return "socket"
	case 0x04:
		return "handshake"
	case 0x05:
		return "connect_app"
	case 0x06:
		return "publish"
	case 0x07:
		return "set_timeout"
	case 0x08:
		return "close"
	case 0x09:
		return "success"
	}
	return fmt.Sprintf("code_0x%02x", code)
}

// stageTable precomputes a name per code so that Observe never formats.
func stageTable() [256]string {
	var t [256]string
	for i := range t {
		t[i] = stageName(i)
	}
	return t
}
