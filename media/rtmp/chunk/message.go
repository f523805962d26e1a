package chunk

import (
	"fmt"
	"time"
)

// TypeID is an RTMP message type.
type TypeID uint8

// Message types (RTMP 1.0 §5.4, §7.1).
const (
	TypeSetChunkSize     TypeID = 1
	TypeAbort            TypeID = 2
	TypeAck              TypeID = 3
	TypeUserControl      TypeID = 4
	TypeWindowAckSize    TypeID = 5
	TypeSetPeerBandwidth TypeID = 6
	TypeAudio            TypeID = 8
	TypeVideo            TypeID = 9
	TypeDataAMF3         TypeID = 15
	TypeSharedObjectAMF3 TypeID = 16
	TypeCommandAMF3      TypeID = 17
	TypeDataAMF0         TypeID = 18
	TypeSharedObjectAMF0 TypeID = 19
	TypeCommandAMF0      TypeID = 20
	TypeAggregate        TypeID = 22
)

func (t TypeID) String() string {
	switch t {
	case TypeSetChunkSize:
		return "set-chunk-size"
	case TypeAbort:
		return "abort"
	case TypeAck:
		return "ack"
	case TypeUserControl:
		return "user-control"
	case TypeWindowAckSize:
		return "window-ack-size"
	case TypeSetPeerBandwidth:
		return "set-peer-bandwidth"
	case TypeAudio:
		return "audio"
	case TypeVideo:
		return "video"
	case TypeDataAMF3:
		return "data-amf3"
	case TypeSharedObjectAMF3:
		return "shared-object-amf3"
	case TypeCommandAMF3:
		return "command-amf3"
	case TypeDataAMF0:
		return "data-amf0"
	case TypeSharedObjectAMF0:
		return "shared-object-amf0"
	case TypeCommandAMF0:
		return "command-amf0"
	case TypeAggregate:
		return "aggregate"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Timestamp is an RTMP message timestamp: milliseconds on a 32-bit clock
// that wraps about every 49.7 days.
type Timestamp uint32

// TimestampOf converts a media time to an RTMP timestamp (truncated to
// milliseconds, wrapping modulo 2^32).
func TimestampOf(d time.Duration) Timestamp { return Timestamp(uint32(d.Milliseconds())) }

// Duration returns the timestamp as a duration from the stream origin,
// ignoring wrap-around.
func (t Timestamp) Duration() time.Duration { return time.Duration(t) * time.Millisecond }

// Message is one RTMP message with its chunk stream.
type Message struct {
	// CSID is the chunk stream the message travels on (2–65599). Writers
	// pick it per kind of traffic: 2 protocol control, 3 commands, and
	// separate ones for audio, video and data.
	CSID      uint32
	Type      TypeID
	StreamID  uint32
	Timestamp Timestamp
	Payload   []byte
}

// Chunk stream and size limits.
const (
	MinCSID = 2
	MaxCSID = 65599
	// DefaultChunkSize is the chunk size both sides start with.
	DefaultChunkSize = 128
	// MaxChunkSize is the largest chunk size a Set Chunk Size may carry.
	MaxChunkSize = 0x7FFFFFFF
	// MaxMessageLength is the largest length a message header can carry.
	MaxMessageLength = 0xFFFFFF
	// extendedMarker in a timestamp field means a 4-byte extended timestamp
	// follows the message header.
	extendedMarker = 0xFFFFFF
)
