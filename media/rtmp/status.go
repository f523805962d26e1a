package rtmp

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/amf0"
)

// Status levels.
const (
	LevelStatus  = "status"
	LevelWarning = "warning"
	LevelError   = "error"
)

// NetConnection and NetStream status codes.
const (
	CodeConnectSuccess      = "NetConnection.Connect.Success"
	CodeConnectRejected     = "NetConnection.Connect.Rejected"
	CodeConnectInvalidApp   = "NetConnection.Connect.InvalidApp"
	CodeConnectClosed       = "NetConnection.Connect.Closed"
	CodePublishStart        = "NetStream.Publish.Start"
	CodePublishBadName      = "NetStream.Publish.BadName"
	CodePublishRejected     = "NetStream.Publish.Rejected"
	CodeUnpublishSuccess    = "NetStream.Unpublish.Success"
	CodePlayReset           = "NetStream.Play.Reset"
	CodePlayStart           = "NetStream.Play.Start"
	CodePlayStop            = "NetStream.Play.Stop"
	CodePlayUnpublishNotify = "NetStream.Play.UnpublishNotify"
	CodePlayStreamNotFound  = "NetStream.Play.StreamNotFound"
	CodePlayFailed          = "NetStream.Play.Failed"
)

// IngestCode is an ingest status of the Kingsoft live documents
// (kingsoft-cloud-live.txt, "状态码"): a numeric Code and SubCode with a
// fixed description. A Handler may return one as its error; the server turns
// it into the _error or onStatus of the stage it was returned from.
type IngestCode struct {
	Code, SubCode int
}

// Ingest status codes (push and play).
var (
	IngestSuccess        = IngestCode{0, 0}
	IngestNonExistDomain = IngestCode{1, 0}
	IngestNonExistApp    = IngestCode{2, 0}
	IngestStreamExists   = IngestCode{3, 0} // on publish: stream name already exists
	IngestNonExistStream = IngestCode{3, 0} // on play: no such stream
	IngestBlacklisted    = IngestCode{4, 0}
	IngestAuthFailed     = IngestCode{5, 0}
	IngestAuthMissing    = IngestCode{5, 1}
	IngestURLExpired     = IngestCode{5, 2}
)

// Description returns the documented description of a push status.
func (c IngestCode) Description() string {
	switch c {
	case IngestSuccess:
		return "Publish Success"
	case IngestNonExistDomain:
		return "Non-Exist Publish Domain"
	case IngestNonExistApp:
		return "Non-Exist Application"
	case IngestStreamExists:
		return "Already Exist Stream Name"
	case IngestBlacklisted:
		return "Forbidden By Blacklist"
	case IngestAuthFailed:
		return "Authentication Failed"
	case IngestAuthMissing:
		return "Accesskey Or Signature Not Exist"
	case IngestURLExpired:
		return "URL Expired"
	}
	return fmt.Sprintf("Ingest Status %d/%d", c.Code, c.SubCode)
}

// Error makes an IngestCode usable as a Handler's rejection.
func (c IngestCode) Error() string {
	return fmt.Sprintf("rtmp ingest status %d/%d: %s", c.Code, c.SubCode, c.Description())
}

// ConnectStatus is the _error status for a rejected connect.
func (c IngestCode) ConnectStatus() *Status {
	code := CodeConnectRejected
	if c == IngestNonExistApp {
		code = CodeConnectInvalidApp
	}
	return &Status{Level: LevelError, Code: code, Description: c.Description(), Ingest: &c}
}

// PublishStatus is the onStatus for a rejected (or, for IngestSuccess,
// accepted) publish.
func (c IngestCode) PublishStatus() *Status {
	code := CodePublishRejected
	switch c {
	case IngestSuccess:
		return &Status{Level: LevelStatus, Code: CodePublishStart, Description: c.Description(), Ingest: &c}
	case IngestStreamExists:
		code = CodePublishBadName
	}
	return &Status{Level: LevelError, Code: code, Description: c.Description(), Ingest: &c}
}

// PlayStatus is the onStatus for a rejected play.
func (c IngestCode) PlayStatus() *Status {
	code, desc := CodePlayFailed, c.Description()
	switch c {
	case IngestNonExistStream:
		code, desc = CodePlayStreamNotFound, "Non-Exist Stream Name"
	case IngestNonExistDomain:
		desc = "Non-Exist Play Domain"
	}
	return &Status{Level: LevelError, Code: code, Description: desc, Ingest: &c}
}

// Status is the information object of _result, _error and onStatus.
//
// On the wire it is an object with level, code and description and, when
// Ingest is set, subCode (the ingest documents' sub-code). The ingest's
// numeric code travels as ingestCode; a peer that follows the document's
// _result shape literally (a numeric "code") is understood too.
type Status struct {
	Level       string
	Code        string
	Description string
	Ingest      *IngestCode
}

// Error makes a Status usable as a Handler's rejection and as a client
// error's cause.
func (s *Status) Error() string {
	if s.Ingest != nil {
		return fmt.Sprintf("%s %s: %s (ingest %d/%d)", s.Level, s.Code, s.Description, s.Ingest.Code, s.Ingest.SubCode)
	}
	return fmt.Sprintf("%s %s: %s", s.Level, s.Code, s.Description)
}

// IsError reports whether the level is error.
func (s *Status) IsError() bool { return s.Level == LevelError }

// Object encodes the status as an AMF0 object.
func (s *Status) Object() amf0.Object {
	o := amf0.Object{
		{Key: "level", Value: s.Level},
		{Key: "code", Value: s.Code},
		{Key: "description", Value: s.Description},
	}
	if s.Ingest != nil {
		o = append(o,
			amf0.Property{Key: "ingestCode", Value: float64(s.Ingest.Code)},
			amf0.Property{Key: "subCode", Value: float64(s.Ingest.SubCode)})
	}
	return o
}

// StatusFromObject decodes a status object; ok is false when v is not an
// object.
func StatusFromObject(v any) (*Status, bool) {
	var o amf0.Object
	switch v := v.(type) {
	case amf0.Object:
		o = v
	case amf0.ECMAArray:
		o = amf0.Object(v)
	default:
		return nil, false
	}
	s := &Status{Level: o.String("level"), Code: o.String("code"), Description: o.String("description")}
	sub, hasSub := o.Number("subCode")
	ic, hasIC := o.Number("ingestCode")
	if n, numeric := o.Number("code"); numeric {
		// The Kingsoft document's shape: {code: 0, subCode: 0, description}.
		ic, hasIC = n, true
		if s.Level == "" {
			s.Level = LevelStatus
			if n != 0 {
				s.Level = LevelError
			}
		}
	}
	if hasSub || hasIC {
		s.Ingest = &IngestCode{Code: int(ic), SubCode: int(sub)}
	}
	return s, true
}
