// Package cloudapi is the contract between a virtual camera and a cloud:
// the Go interfaces a device's SDK calls, and the values they carry. The
// mock cloud (sim/cloud) serves them over HTTP (routes, headers and bodies in
// sim/cloud/API.md) and provides the HTTP client; device tests use in-memory
// fakes. Keeping the contract here lets sim/device and sim/cloud be built
// and tested independently of each other.
package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PlanKind is a device's cloud-storage service plan (CS2).
type PlanKind string

const (
	PlanNone      PlanKind = "none"
	PlanFullTime  PlanKind = "full-time"
	PlanEvent     PlanKind = "event"
	PlanFreeTrial PlanKind = "free-trial"
)

// Plan is what the cloud says about a device channel's service.
type Plan struct {
	Kind PlanKind `json:"kind"`
	// Valid is false when the plan exists but has expired or is suspended.
	Valid bool `json:"valid"`
	// Remaining is the free-trial time left (0 for other kinds).
	Remaining time.Duration `json:"remaining_ns"`
	// Expires is when the plan ends (zero: no end).
	Expires time.Time `json:"expires"`
	// Version increases with every change; a long poll returns when it differs
	// from the version the device already has.
	Version uint64 `json:"version"`
}

// Format is a slice container.
type Format string

const (
	FormatTS   Format = "ts"
	FormatFMP4 Format = "fmp4"
)

// SliceUpload is one recorded slice sent to cloud storage (CS11, CS16).
type SliceUpload struct {
	Device  string // device id as in the fleet plan
	Channel int    // 0-based
	Seq     uint64 // slice number per device and channel
	Format  Format
	// UTC range as the device's (possibly skewed) clock tells it (CS17).
	UTCStart, UTCEnd time.Time
	// PTS of the first and last frame, and their frame sequence numbers.
	PTSFirst, PTSLast           time.Duration
	FrameSeqFirst, FrameSeqLast uint64
	// AudioFrames is the number of audio frames in the slice and
	// AudioSeqFirst/Last their sequence numbers (unused when 0). TS and
	// fMP4 stamps are carried by video frames only, so the cloud learns the
	// audio frames' sequence numbers from here to account their fates.
	AudioFrames                 int
	AudioSeqFirst, AudioSeqLast uint64
	// EventID links the slice to an event (0: none, full-time recording).
	EventID int
	// Backfill marks a re-upload of a failed slice by the backfill worker.
	Backfill bool
	// Body is the whole slice; it is not modified by the callee. Exactly
	// one of Body and Content is set (content.go: BodySize, OpenBody).
	Body []byte
	// Content is the slice produced on demand (muxed from its frames as it
	// is read) instead of held whole.
	Content Content
}

// SliceReceipt is the cloud's answer to an accepted slice.
type SliceReceipt struct {
	Stored      bool `json:"stored"`
	Frames      int  `json:"frames"`      // video frames the cloud found in the slice
	Overwritten int  `json:"overwritten"` // earlier slices whose time range this one overlapped (CS17)
}

// PictureUpload is an event picture (JPEG).
type PictureUpload struct {
	Device  string
	Channel int
	EventID int
	Body    []byte
}

// PictureReceipt identifies a stored picture.
type PictureReceipt struct {
	ID string `json:"id"`
}

// EventReport reports an event (CS6, CS9).
type EventReport struct {
	Device    string    `json:"device"`
	Channel   int       `json:"channel"`
	EventID   int       `json:"event_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Info      string    `json:"info,omitempty"`
	PictureID string    `json:"picture_id,omitempty"`
	Direct    bool      `json:"direct,omitempty"` // a direct report (CS9)
}

// EventReceipt is the cloud's answer to an event report.
type EventReceipt struct {
	OK bool `json:"ok"`
}

// TokenRequest asks the token server for push credentials (RP2).
type TokenRequest struct {
	DeviceSN     string `json:"device_sn"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	DeviceToken  string `json:"device_token,omitempty"`
}

// TokenReply carries the URL to publish to and its token.
type TokenReply struct {
	URL     string    `json:"url"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// Storage is what the cloud-storage SDK needs of a cloud.
type Storage interface {
	// QueryPlan returns the plan of a device channel. With knownVersion > 0
	// the call may wait (up to the context's deadline) until the plan's
	// version differs — a long poll that lets the cloud push plan changes.
	QueryPlan(ctx context.Context, device string, channel int, knownVersion uint64) (Plan, error)
	UploadSlice(ctx context.Context, s SliceUpload) (SliceReceipt, error)
	UploadPicture(ctx context.Context, p PictureUpload) (PictureReceipt, error)
	ReportEvent(ctx context.Context, e EventReport) (EventReceipt, error)
	// DestroyResources deletes everything the cloud holds for the device.
	DestroyResources(ctx context.Context, device string) error
}

// Tokens is the token server of the push SDK (RP2).
type Tokens interface {
	Token(ctx context.Context, r TokenRequest) (TokenReply, error)
}

// Error is a refusal by the cloud. Transport failures (timeouts, resets) are
// not Errors: they come back as the underlying error.
type Error struct {
	Status int    // HTTP status
	Code   string // stable code, e.g. "no_service", "overlap", "bad_slice"
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("cloud: %d %s: %s", e.Status, e.Code, e.Msg) }

// Codes the cloud answers with.
const (
	CodeNoService    = "no_service"    // the device has no valid plan: service wrong (CS14)
	CodeBadRequest   = "bad_request"   // missing or malformed headers or body
	CodeBadSlice     = "bad_slice"     // the slice does not parse or fails verification
	CodeNotIDR       = "first_not_idr" // the slice does not start with an IDR
	CodeExpired      = "expired"       // a backfill past its window
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeTooLarge     = "too_large"
	CodeUnavailable  = "unavailable" // injected fault or overload
)

// IsCode reports whether err is a cloud Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
