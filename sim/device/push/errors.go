package push

import (
	"errors"
	"fmt"
)

// Error is a refused API call: the event code it corresponds to (for media
// checks the code the callback also receives) and why.
type Error struct {
	Code Event
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("push: %s (0x%02x): %s", e.Code, int(e.Code), e.Msg)
}

func errorf(code Event, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Errors of the API's state rules (the reference's -1 returns).
var (
	ErrNotInitialized = errors.New("push: SDK not initialized")
	ErrInitialized    = errors.New("push: SDK already initialized")
	ErrUnknownConn    = errors.New("push: unknown connection id")
	ErrTooManyConns   = errors.New("push: max connections reached")
	ErrNoTokenServer  = errors.New("push: no token server set")
	ErrClosed         = errors.New("push: connection closed")
	// ErrPaused: flow control dropped the frame (RP6).
	ErrPaused = errors.New("push: media push paused")
	// ErrWaitIDR: video is dropped until the next IDR (after connecting or
	// after a pause).
	ErrWaitIDR = errors.New("push: waiting for an IDR")
)

// CodeOf returns the event code of an API error (EventNone when it has none).
func CodeOf(err error) Event {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EventNone
}
