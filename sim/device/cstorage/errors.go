package cstorage

import (
	"errors"
	"fmt"
)

// Code is an iv_err_code_e value returned by the SDK's API.
type Code int

// Codes from the SDK documents (NOTES.md lists their sources).
const (
	CodeNone         Code = 0
	CodeNoService    Code = -607  // IV_ERR_CS_APPLY_NO_SERVICE: no valid plan
	CodeQueryTimeout Code = -608  // IV_ERR_CS_QUERY_SERVICE_TIMEOUT
	CodeInitTwice    Code = -610  // init called twice
	CodeFirstNotIDR  Code = -611  // the first frame of a stream is not an IDR
	CodeHTTPSend     Code = -613  // an HTTP send failed
	CodePushFailed   Code = -606  // push refused (send buffer full); firmware waits for the next I-frame, like -613
	CodeOffline      Code = -1001 // the device is offline (the cloud cannot be reached)
)

// Codes the documents use without giving their numbers. They are the
// simulator's own, in a separate range so that they never collide with the
// documented ones.
const (
	CodeNotInit       Code = -9001 // a call before Init (or after Exit)
	CodeInvalidParam  Code = -9002 // channel, id, size or timeout out of range
	CodeEventBusy     Code = -9003 // the same event id started twice
	CodeEventNotFound Code = -9004 // stop without start
	CodeInfoInvalid   Code = -9005 // info too long or not printable ASCII
	CodeInfoMismatch  Code = -9006 // stop info differs from start info
	CodeTimeMixed     Code = -9007 // relative and absolute times mixed
	CodeTimeFuture    Code = -9008 // a time in the future
)

var codeNames = map[Code]string{
	CodeNone:          "ok",
	CodeNoService:     "no service",
	CodeQueryTimeout:  "query service timeout",
	CodeInitTwice:     "init twice",
	CodeFirstNotIDR:   "first frame not IDR",
	CodeHTTPSend:      "http send failed",
	CodePushFailed:    "push failed: send buffer full",
	CodeOffline:       "device offline",
	CodeNotInit:       "not initialised",
	CodeInvalidParam:  "invalid parameter",
	CodeEventBusy:     "event already started",
	CodeEventNotFound: "event not started",
	CodeInfoInvalid:   "invalid event info",
	CodeInfoMismatch:  "event info differs from start",
	CodeTimeMixed:     "relative and absolute times mixed",
	CodeTimeFuture:    "time in the future",
}

func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code(%d)", int(c))
}

// Error is the typed error every API call returns on failure.
type Error struct {
	Code Code
	Op   string // the API call, e.g. "EventStart"
	Msg  string // detail
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("cstorage: %s: %s (%d)", e.Op, e.Code, int(e.Code))
	}
	return fmt.Sprintf("cstorage: %s: %s (%d): %s", e.Op, e.Code, int(e.Code), e.Msg)
}

// Is makes errors.Is(err, &Error{Code: c}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(op string, c Code, format string, a ...any) *Error {
	return &Error{Code: c, Op: op, Msg: fmt.Sprintf(format, a...)}
}

// CodeOf returns the Code of err (CodeNone for nil, CodeHTTPSend for a
// foreign error).
func CodeOf(err error) Code {
	if err == nil {
		return CodeNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeHTTPSend
}
