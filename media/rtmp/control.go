package rtmp

import (
	"encoding/binary"
	"fmt"

	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// LimitType is the limit type of a Set Peer Bandwidth message.
type LimitType uint8

// Set Peer Bandwidth limit types.
const (
	LimitHard    LimitType = 0
	LimitSoft    LimitType = 1
	LimitDynamic LimitType = 2
)

// UserControlEvent is the event type of a User Control message (§7.1.7).
type UserControlEvent uint16

// User control events.
const (
	EventStreamBegin      UserControlEvent = 0
	EventStreamEOF        UserControlEvent = 1
	EventStreamDry        UserControlEvent = 2
	EventSetBufferLength  UserControlEvent = 3
	EventStreamIsRecorded UserControlEvent = 4
	EventPingRequest      UserControlEvent = 6
	EventPingResponse     UserControlEvent = 7
)

// UserControl is a decoded User Control message. Value is the stream id for
// the stream events and the timestamp for pings; BufferLength is the buffer
// length in milliseconds of Set Buffer Length.
type UserControl struct {
	Event        UserControlEvent
	Value        uint32
	BufferLength uint32
}

func u32msg(typ TypeID, v uint32) Message {
	p := make([]byte, 4)
	binary.BigEndian.PutUint32(p, v)
	return Message{CSID: CSIDControl, Type: typ, Payload: p}
}

// SetChunkSizeMessage returns a Set Chunk Size message.
func SetChunkSizeMessage(n uint32) Message { return u32msg(chunk.TypeSetChunkSize, n&0x7FFFFFFF) }

// AbortMessage returns an Abort message for chunk stream csid.
func AbortMessage(csid uint32) Message { return u32msg(chunk.TypeAbort, csid) }

// AckMessage returns an Acknowledgement of the bytes received so far
// (sequence number, modulo 2^32).
func AckMessage(received uint32) Message { return u32msg(chunk.TypeAck, received) }

// WindowAckSizeMessage returns a Window Acknowledgement Size message.
func WindowAckSizeMessage(n uint32) Message { return u32msg(chunk.TypeWindowAckSize, n) }

// SetPeerBandwidthMessage returns a Set Peer Bandwidth message.
func SetPeerBandwidthMessage(n uint32, l LimitType) Message {
	p := make([]byte, 5)
	binary.BigEndian.PutUint32(p, n)
	p[4] = byte(l)
	return Message{CSID: CSIDControl, Type: chunk.TypeSetPeerBandwidth, Payload: p}
}

// UserControlMessage returns a User Control message.
func UserControlMessage(u UserControl) Message {
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 10), uint16(u.Event))
	p = binary.BigEndian.AppendUint32(p, u.Value)
	if u.Event == EventSetBufferLength {
		p = binary.BigEndian.AppendUint32(p, u.BufferLength)
	}
	return Message{CSID: CSIDControl, Type: chunk.TypeUserControl, Payload: p}
}

// ParseU32 decodes the 4-byte payload of Set Chunk Size, Abort,
// Acknowledgement and Window Acknowledgement Size.
func ParseU32(m *Message) (uint32, error) {
	if len(m.Payload) < 4 {
		return 0, fmt.Errorf("rtmp: %v message of %d bytes, want 4", m.Type, len(m.Payload))
	}
	return binary.BigEndian.Uint32(m.Payload), nil
}

// ParseSetPeerBandwidth decodes a Set Peer Bandwidth message.
func ParseSetPeerBandwidth(m *Message) (uint32, LimitType, error) {
	if len(m.Payload) < 5 {
		return 0, 0, fmt.Errorf("rtmp: set-peer-bandwidth of %d bytes, want 5", len(m.Payload))
	}
	return binary.BigEndian.Uint32(m.Payload), LimitType(m.Payload[4]), nil
}

// ParseUserControl decodes a User Control message.
func ParseUserControl(m *Message) (UserControl, error) {
	p := m.Payload
	if len(p) < 6 {
		return UserControl{}, fmt.Errorf("rtmp: user control of %d bytes, want ≥ 6", len(p))
	}
	u := UserControl{Event: UserControlEvent(binary.BigEndian.Uint16(p)), Value: binary.BigEndian.Uint32(p[2:])}
	if u.Event == EventSetBufferLength {
		if len(p) < 10 {
			return u, fmt.Errorf("rtmp: set buffer length of %d bytes, want 10", len(p))
		}
		u.BufferLength = binary.BigEndian.Uint32(p[6:])
	}
	return u, nil
}
