package rtmp

import (
	"encoding/binary"
	"fmt"

	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// aggregateHeaderSize is the FLV-style tag header of each sub-message.
const aggregateHeaderSize = 11

// aggregateIter walks the sub-messages of an Aggregate message (RTMP 1.0
// §7.1.6): each is an FLV tag header (type, 24-bit size, 24+8-bit
// timestamp, 24-bit stream id), the body, and a 4-byte back pointer. The
// first sub-message's timestamp maps to the aggregate's; the others keep
// their offsets from it. Bodies alias the aggregate's payload.
type aggregateIter struct {
	rest    []byte
	base    Timestamp // aggregate timestamp
	first   uint32
	started bool
	sid     uint32
}

func newAggregateIter(m *Message) aggregateIter {
	return aggregateIter{rest: m.Payload, base: m.Timestamp, sid: m.StreamID}
}

// next fills sub with the next sub-message; ok is false at the end.
func (it *aggregateIter) next(sub *Message) (bool, error) {
	if len(it.rest) == 0 {
		return false, nil
	}
	p := it.rest
	if len(p) < aggregateHeaderSize {
		return false, fmt.Errorf("rtmp: aggregate: %d bytes left, want a tag header", len(p))
	}
	typ := chunk.TypeID(p[0])
	size := int(p[1])<<16 | int(p[2])<<8 | int(p[3])
	ts := uint32(p[7])<<24 | uint32(p[4])<<16 | uint32(p[5])<<8 | uint32(p[6])
	if len(p)-aggregateHeaderSize < size {
		return false, fmt.Errorf("rtmp: aggregate: sub-message of %d bytes, %d left", size, len(p)-aggregateHeaderSize)
	}
	switch typ {
	case chunk.TypeAudio, chunk.TypeVideo, chunk.TypeDataAMF0:
	default:
		return false, fmt.Errorf("rtmp: aggregate: sub-message type %v", typ)
	}
	if !it.started {
		it.first, it.started = ts, true
	}
	*sub = Message{
		CSID:      csidFor(typ),
		Type:      typ,
		StreamID:  it.sid,
		Timestamp: it.base + Timestamp(ts-it.first),
		Payload:   p[aggregateHeaderSize : aggregateHeaderSize+size : aggregateHeaderSize+size],
	}
	p = p[aggregateHeaderSize+size:]
	// Each sub-message ends with its back pointer; only the last one may
	// omit it.
	if len(p) > 0 {
		if len(p) < 4 || binary.BigEndian.Uint32(p) != uint32(aggregateHeaderSize+size) {
			return false, fmt.Errorf("rtmp: aggregate: bad back pointer after a %d-byte sub-message", size)
		}
		p = p[4:]
	}
	it.rest = p
	return true, nil
}

// SplitAggregate calls fn for each sub-message of an Aggregate message, in
// order. Sub-message payloads alias m's payload.
func SplitAggregate(m *Message, fn func(sub *Message) error) error {
	it := newAggregateIter(m)
	var sub Message
	for {
		ok, err := it.next(&sub)
		if err != nil || !ok {
			return err
		}
		if err := fn(&sub); err != nil {
			return err
		}
	}
}

// AppendAggregate appends sub-messages in aggregate form (for tests and
// servers that batch): timestamps are written as they are.
func AppendAggregate(b []byte, subs []Message) ([]byte, error) {
	for i := range subs {
		s := &subs[i]
		if len(s.Payload) > chunk.MaxMessageLength {
			return b, fmt.Errorf("rtmp: aggregate sub-message of %d bytes", len(s.Payload))
		}
		n := len(s.Payload)
		ts := uint32(s.Timestamp)
		b = append(b, byte(s.Type), byte(n>>16), byte(n>>8), byte(n),
			byte(ts>>16), byte(ts>>8), byte(ts), byte(ts>>24), 0, 0, 0)
		b = append(b, s.Payload...)
		b = binary.BigEndian.AppendUint32(b, uint32(aggregateHeaderSize+n))
	}
	return b, nil
}
