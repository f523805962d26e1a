// Package httpapi is the HTTP wire format of the cloud-storage API and the
// client that speaks it. The mock cloud (sim/cloud) serves these routes; the
// Client implements cloudapi.Storage and cloudapi.Tokens against any server
// that follows sim/cloud/API.md, over an *http.Client or a dial function so a
// simulated link can carry the traffic.
//
// The route paths, header names and the header/body codecs live here, once,
// so that client and server cannot drift apart.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// Routes (Go 1.22 ServeMux patterns). {device} is the device id, {channel}
// the 0-based channel.
const (
	RouteToken       = "POST /v1/token"
	RoutePlanGet     = "GET /v1/devices/{device}/channels/{channel}/plan"
	RoutePlanPut     = "PUT /v1/devices/{device}/channels/{channel}/plan"
	RouteSlice       = "POST /v1/devices/{device}/channels/{channel}/slices"
	RoutePicture     = "POST /v1/devices/{device}/channels/{channel}/pictures"
	RouteEvent       = "POST /v1/devices/{device}/events"
	RouteDestroy     = "DELETE /v1/devices/{device}"
	RoutePublishAuth = "POST /v1/auth/publish"
	RouteLiveView    = "POST /v1/devices/{device}/channels/{channel}/liveview"
	RouteStats       = "GET /v1/stats"
	RouteFaults      = "PUT /v1/admin/faults"
	RouteRestart     = "POST /v1/admin/restart"
	RouteDropAll     = "POST /v1/admin/drop"
	RouteHealth      = "GET /v1/health"
)

// Headers of a slice upload (and, for X-Event-Id, a picture upload).
const (
	HeaderSliceSeq        = "X-Slice-Seq"
	HeaderSliceFormat     = "X-Slice-Format"
	HeaderSliceUTCStart   = "X-Slice-Utc-Start" // RFC 3339 with nanoseconds
	HeaderSliceUTCEnd     = "X-Slice-Utc-End"
	HeaderSlicePTSFirst   = "X-Slice-Pts-First" // integer nanoseconds
	HeaderSlicePTSLast    = "X-Slice-Pts-Last"
	HeaderSliceSeqFirst   = "X-Slice-Frame-First"
	HeaderSliceSeqLast    = "X-Slice-Frame-Last"
	HeaderSliceBackfill   = "X-Slice-Backfill" // "1" or "0"
	HeaderSliceAudio      = "X-Slice-Audio-Frames"
	HeaderSliceAudioFirst = "X-Slice-Audio-First"
	HeaderSliceAudioLast  = "X-Slice-Audio-Last"
	HeaderEventID         = "X-Event-Id"
	HeaderRequestTimeout  = "X-Request-Timeout" // Go duration, informative
)

// Content types.
const (
	ContentTS   = "video/mp2t"
	ContentMP4  = "video/mp4"
	ContentJPEG = "image/jpeg"
	ContentJSON = "application/json"
)

// Query parameters of the plan long poll.
const (
	QueryKnownVersion = "known_version"
	QueryWait         = "wait" // Go duration, capped by the server
)

// Limits shared by client and server.
const (
	MaxChannel = 15
	MaxEventID = 1 << 16
	// MaxDeviceID is the longest device id accepted in a path.
	MaxDeviceID = 128
	// MaxSliceFrames bounds the frame counts a slice header may claim.
	MaxSliceFrames = 1 << 16
	// MaxJSONBody bounds every JSON request body.
	MaxJSONBody = 16 << 10
)

// ErrorBody is the JSON body of every non-2xx reply.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ParseErrorReply turns a non-2xx reply into a *cloudapi.Error. body may be
// empty or not JSON (a proxy's page): the code then comes from the status.
func ParseErrorReply(status int, body []byte) *cloudapi.Error {
	e := &cloudapi.Error{Status: status}
	var b ErrorBody
	if json.Unmarshal(body, &b) == nil && b.Code != "" {
		e.Code, e.Msg = b.Code, b.Message
		return e
	}
	e.Code = codeForStatus(status)
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	e.Msg = msg
	return e
}

func codeForStatus(s int) string {
	switch s {
	case http.StatusBadRequest, http.StatusLengthRequired, http.StatusUnsupportedMediaType:
		return cloudapi.CodeBadRequest
	case http.StatusUnauthorized, http.StatusForbidden:
		return cloudapi.CodeUnauthorized
	case http.StatusNotFound:
		return cloudapi.CodeNotFound
	case http.StatusRequestEntityTooLarge:
		return cloudapi.CodeTooLarge
	case http.StatusGone:
		return cloudapi.CodeExpired
	case http.StatusPaymentRequired:
		return cloudapi.CodeNoService
	}
	return cloudapi.CodeUnavailable
}

// StatusForCode is the HTTP status the server answers a code with.
func StatusForCode(code string) int {
	switch code {
	case cloudapi.CodeBadRequest:
		return http.StatusBadRequest
	case cloudapi.CodeBadSlice, cloudapi.CodeNotIDR:
		return http.StatusUnprocessableEntity
	case cloudapi.CodeUnauthorized:
		return http.StatusForbidden
	case cloudapi.CodeNotFound:
		return http.StatusNotFound
	case cloudapi.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case cloudapi.CodeExpired:
		return http.StatusGone
	case cloudapi.CodeNoService:
		return http.StatusPaymentRequired
	case cloudapi.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ValidDevice checks a device id taken from a path: 1–MaxDeviceID printable
// ASCII characters without '/', '?', '#', '%' or space.
func ValidDevice(id string) error {
	if id == "" || len(id) > MaxDeviceID {
		return fmt.Errorf("device id length %d not in 1..%d", len(id), MaxDeviceID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c > '~' || c == '/' || c == '?' || c == '#' || c == '%' {
			return fmt.Errorf("device id has byte %#x at %d", c, i)
		}
	}
	return nil
}

// ParseChannel parses a channel path element.
func ParseChannel(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxChannel || len(s) > 2 {
		return 0, fmt.Errorf("channel %q not in 0..%d", s, MaxChannel)
	}
	return n, nil
}

// SetSliceHeader writes the metadata of s into h (everything but Device,
// Channel and Body, which travel in the path and the body).
func SetSliceHeader(h http.Header, s *cloudapi.SliceUpload) {
	// Each header's values are a []string: one backing array for them
	// all instead of one per Set (the keys are canonical already).
	vals := make([]string, 0, 14)
	set := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	set(HeaderSliceSeq, strconv.FormatUint(s.Seq, 10))
	set(HeaderSliceFormat, string(s.Format))
	set(HeaderSliceUTCStart, s.UTCStart.UTC().Format(time.RFC3339Nano))
	set(HeaderSliceUTCEnd, s.UTCEnd.UTC().Format(time.RFC3339Nano))
	set(HeaderSlicePTSFirst, strconv.FormatInt(int64(s.PTSFirst), 10))
	set(HeaderSlicePTSLast, strconv.FormatInt(int64(s.PTSLast), 10))
	set(HeaderSliceSeqFirst, strconv.FormatUint(s.FrameSeqFirst, 10))
	set(HeaderSliceSeqLast, strconv.FormatUint(s.FrameSeqLast, 10))
	set(HeaderEventID, strconv.Itoa(s.EventID))
	if s.AudioFrames > 0 {
		set(HeaderSliceAudio, strconv.Itoa(s.AudioFrames))
		set(HeaderSliceAudioFirst, strconv.FormatUint(s.AudioSeqFirst, 10))
		set(HeaderSliceAudioLast, strconv.FormatUint(s.AudioSeqLast, 10))
	}
	if s.Backfill {
		set(HeaderSliceBackfill, "1")
	} else {
		set(HeaderSliceBackfill, "0")
	}
	switch s.Format {
	case cloudapi.FormatFMP4:
		set("Content-Type", ContentMP4)
	default:
		set("Content-Type", ContentTS)
	}
}

// HeaderError names the header that is missing or malformed.
type HeaderError struct {
	Header string
	Value  string
	Why    string
}

func (e *HeaderError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("header %s: %s", e.Header, e.Why)
	}
	v := e.Value
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return fmt.Sprintf("header %s=%q: %s", e.Header, v, e.Why)
}

// ParseSliceHeader reads the metadata of a slice upload from h. Every header
// of SetSliceHeader is required except X-Event-Id and X-Slice-Backfill
// (default 0). Content-Type must match the format.
func ParseSliceHeader(h http.Header) (cloudapi.SliceUpload, error) {
	var s cloudapi.SliceUpload
	var err error
	if s.Seq, err = headerUint(h, HeaderSliceSeq); err != nil {
		return s, err
	}
	switch f := h.Get(HeaderSliceFormat); cloudapi.Format(f) {
	case cloudapi.FormatTS, cloudapi.FormatFMP4:
		s.Format = cloudapi.Format(f)
	case "":
		return s, &HeaderError{Header: HeaderSliceFormat, Why: "missing"}
	default:
		return s, &HeaderError{Header: HeaderSliceFormat, Value: f, Why: "want ts or fmp4"}
	}
	want := ContentTS
	if s.Format == cloudapi.FormatFMP4 {
		want = ContentMP4
	}
	if ct := h.Get("Content-Type"); ct != want {
		return s, &HeaderError{Header: "Content-Type", Value: ct, Why: "want " + want}
	}
	if s.UTCStart, err = headerTime(h, HeaderSliceUTCStart); err != nil {
		return s, err
	}
	if s.UTCEnd, err = headerTime(h, HeaderSliceUTCEnd); err != nil {
		return s, err
	}
	if s.UTCEnd.Before(s.UTCStart) {
		return s, &HeaderError{Header: HeaderSliceUTCEnd, Value: h.Get(HeaderSliceUTCEnd), Why: "before " + HeaderSliceUTCStart}
	}
	var p int64
	if p, err = headerInt(h, HeaderSlicePTSFirst); err != nil {
		return s, err
	}
	s.PTSFirst = time.Duration(p)
	if p, err = headerInt(h, HeaderSlicePTSLast); err != nil {
		return s, err
	}
	s.PTSLast = time.Duration(p)
	if s.FrameSeqFirst, err = headerUint(h, HeaderSliceSeqFirst); err != nil {
		return s, err
	}
	if s.FrameSeqLast, err = headerUint(h, HeaderSliceSeqLast); err != nil {
		return s, err
	}
	if s.FrameSeqLast < s.FrameSeqFirst || s.FrameSeqLast-s.FrameSeqFirst >= MaxSliceFrames {
		return s, &HeaderError{Header: HeaderSliceSeqLast, Value: h.Get(HeaderSliceSeqLast), Why: fmt.Sprintf("less than %s or more than %d frames after it", HeaderSliceSeqFirst, MaxSliceFrames)}
	}
	if h.Get(HeaderEventID) != "" {
		if s.EventID, err = ParseEventID(h.Get(HeaderEventID)); err != nil {
			return s, err
		}
	}
	if v := h.Get(HeaderSliceAudio); v != "" && v != "0" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxSliceFrames {
			return s, &HeaderError{Header: HeaderSliceAudio, Value: v, Why: fmt.Sprintf("want an integer in 0..%d", MaxSliceFrames)}
		}
		s.AudioFrames = n
		if s.AudioSeqFirst, err = headerUint(h, HeaderSliceAudioFirst); err != nil {
			return s, err
		}
		if s.AudioSeqLast, err = headerUint(h, HeaderSliceAudioLast); err != nil {
			return s, err
		}
		if s.AudioSeqLast < s.AudioSeqFirst || s.AudioSeqLast-s.AudioSeqFirst+1 != uint64(n) {
			return s, &HeaderError{Header: HeaderSliceAudioLast, Value: h.Get(HeaderSliceAudioLast),
				Why: fmt.Sprintf("the audio range must hold exactly %s=%d frames", HeaderSliceAudio, n)}
		}
	}
	switch b := h.Get(HeaderSliceBackfill); b {
	case "", "0":
	case "1":
		s.Backfill = true
	default:
		return s, &HeaderError{Header: HeaderSliceBackfill, Value: b, Why: "want 0 or 1"}
	}
	return s, nil
}

// ParseEventID parses an X-Event-Id value (0: none).
func ParseEventID(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > MaxEventID {
		return 0, &HeaderError{Header: HeaderEventID, Value: v, Why: fmt.Sprintf("want an integer in 0..%d", MaxEventID)}
	}
	return n, nil
}

func headerUint(h http.Header, name string) (uint64, error) {
	v := h.Get(name)
	if v == "" {
		return 0, &HeaderError{Header: name, Why: "missing"}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, &HeaderError{Header: name, Value: v, Why: "want an unsigned integer"}
	}
	return n, nil
}

func headerInt(h http.Header, name string) (int64, error) {
	v := h.Get(name)
	if v == "" {
		return 0, &HeaderError{Header: name, Why: "missing"}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &HeaderError{Header: name, Value: v, Why: "want an integer (nanoseconds)"}
	}
	return n, nil
}

func headerTime(h http.Header, name string) (time.Time, error) {
	v := h.Get(name)
	if v == "" {
		return time.Time{}, &HeaderError{Header: name, Why: "missing"}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, &HeaderError{Header: name, Value: v, Why: "want RFC 3339 time"}
	}
	return t, nil
}

// DecodeJSON decodes a bounded JSON body into v, rejecting unknown fields
// and trailing data.
func DecodeJSON(body []byte, v any) error {
	if len(body) > MaxJSONBody {
		return fmt.Errorf("json body of %d bytes exceeds %d", len(body), MaxJSONBody)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if dec.More() {
		return errors.New("json: trailing data after the object")
	}
	return nil
}

// ValidateEvent checks an event report body.
func ValidateEvent(e *cloudapi.EventReport) error {
	if err := ValidDevice(e.Device); err != nil {
		return err
	}
	if e.Channel < 0 || e.Channel > MaxChannel {
		return fmt.Errorf("channel %d not in 0..%d", e.Channel, MaxChannel)
	}
	if e.EventID < 0 || e.EventID > MaxEventID {
		return fmt.Errorf("event_id %d not in 0..%d", e.EventID, MaxEventID)
	}
	if e.Start.IsZero() || e.End.IsZero() {
		return errors.New("start and end are required")
	}
	if e.End.Before(e.Start) {
		return errors.New("end before start")
	}
	if len(e.Info) >= 128 {
		return fmt.Errorf("info of %d bytes: at most 127 (128 with the terminator)", len(e.Info))
	}
	for i := 0; i < len(e.Info); i++ {
		if c := e.Info[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("info byte %d (%#x) is not printable ASCII", i, c)
		}
	}
	return nil
}

// ValidateToken checks a token request body.
func ValidateToken(r *cloudapi.TokenRequest) error {
	if err := ValidDevice(r.DeviceSN); err != nil {
		return fmt.Errorf("device_sn: %w", err)
	}
	if r.DeviceToken == "" && r.ClientID == "" {
		return errors.New("one of device_token or client_id (+client_secret) is required")
	}
	if r.ClientID != "" && r.ClientSecret == "" {
		return errors.New("client_secret is required with client_id")
	}
	return nil
}

// PlanBody is the body of a plan PUT (the version is the server's).
type PlanBody struct {
	Kind      cloudapi.PlanKind `json:"kind"`
	Valid     bool              `json:"valid"`
	Remaining time.Duration     `json:"remaining_ns,omitempty"`
	Expires   time.Time         `json:"expires,omitzero"`
}

// ValidatePlan checks a plan body.
func ValidatePlan(p *PlanBody) error {
	switch p.Kind {
	case cloudapi.PlanNone, cloudapi.PlanFullTime, cloudapi.PlanEvent, cloudapi.PlanFreeTrial:
	default:
		return fmt.Errorf("plan kind %q: want none, full-time, event or free-trial", p.Kind)
	}
	if p.Remaining < 0 {
		return errors.New("remaining_ns is negative")
	}
	return nil
}

// LiveViewReply tells a device where to send its RTP live view.
type LiveViewReply struct {
	Addr string `json:"addr"` // host:port of the UDP relay
	SSRC uint32 `json:"ssrc"` // the SSRC the device must use
}
