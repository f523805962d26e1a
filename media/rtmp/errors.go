package rtmp

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Stage is a step of establishing a push connection, numbered with the
// outcome codes of the push SDK (DESIGN.md RP3).
type Stage uint8

// Connection stages and outcome codes.
const (
	StageInvalidURL Stage = 0x01
	StageDNS        Stage = 0x02
	StageSocket     Stage = 0x03
	StageHandshake  Stage = 0x04
	StageConnect    Stage = 0x05 // connect app
	StagePublish    Stage = 0x06 // publish (or play)
	StageTimeout    Stage = 0x07 // a stage ran out of time
	StageClose      Stage = 0x08 // the connection closed (send or close failure)
	StageSuccess    Stage = 0x09
)

func (s Stage) String() string {
	switch s {
	case StageInvalidURL:
		return "invalid-url"
	case StageDNS:
		return "dns"
	case StageSocket:
		return "socket"
	case StageHandshake:
		return "handshake"
	case StageConnect:
		return "connect-app"
	case StagePublish:
		return "publish"
	case StageTimeout:
		return "timeout"
	case StageClose:
		return "close"
	case StageSuccess:
		return "success"
	}
	return fmt.Sprintf("stage(0x%02x)", uint8(s))
}

// Error is a client failure tagged with the stage it happened in.
type Error struct {
	stage, during Stage
	// Status is the server's status when it refused (connect _error or
	// publish/play onStatus error).
	Status *Status
	Err    error
}

// Stage returns the outcome code: the failing stage, or StageTimeout when
// it ran out of time.
func (e *Error) Stage() Stage { return e.stage }

// During returns the stage that was running when the error happened (for
// StageTimeout: the stage that timed out).
func (e *Error) During() Stage { return e.during }

func (e *Error) Error() string {
	if e.stage == StageTimeout {
		return fmt.Sprintf("rtmp %s during %s: %v", e.stage, e.during, e.Err)
	}
	return fmt.Sprintf("rtmp %s: %v", e.stage, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// StageOf returns the stage code of err: StageSuccess for nil, the stage of
// an *Error, StageClose for anything else.
func StageOf(err error) Stage {
	if err == nil {
		return StageSuccess
	}
	var e *Error
	if errors.As(err, &e) {
		return e.stage
	}
	return StageClose
}

// stageError classifies err that happened during stage.
func stageError(stage Stage, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{stage: stage, during: stage, Err: err}
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && !dns.IsTimeout:
		out.stage, out.during = StageDNS, StageDNS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		out.stage = StageTimeout
	}
	var st *Status
	if errors.As(err, &st) {
		out.Status = st
	}
	return out
}
