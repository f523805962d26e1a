package rtmp

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// Data handler names.
const (
	DataSetDataFrame = "@setDataFrame"
	DataOnMetaData   = "onMetaData"
)

// Data is an AMF0 data message: a handler name and values. A publisher's
// "@setDataFrame", "onMetaData", {…} arrives as Name "@setDataFrame" and
// Args ["onMetaData", {…}].
type Data struct {
	Name string
	Args []any
}

// ParseData decodes an AMF0 data message (type 18; type 15 with AMF0
// values after the selector byte).
func ParseData(m *Message) (Data, error) {
	p := m.Payload
	switch m.Type {
	case chunk.TypeDataAMF0:
	case chunk.TypeDataAMF3:
		if len(p) == 0 || p[0] != 0 {
			return Data{}, fmt.Errorf("rtmp: AMF3 data message without the AMF0 selector")
		}
		p = p[1:]
	default:
		return Data{}, fmt.Errorf("rtmp: message type %v is not data", m.Type)
	}
	vs, err := amf0.DecodeAll(p)
	if err != nil {
		return Data{}, fmt.Errorf("rtmp: data: %w", err)
	}
	if len(vs) == 0 {
		return Data{}, fmt.Errorf("rtmp: empty data message")
	}
	name, ok := vs[0].(string)
	if !ok {
		return Data{}, fmt.Errorf("rtmp: data handler name is %T", vs[0])
	}
	return Data{Name: name, Args: vs[1:]}, nil
}

// Metadata returns the metadata of an "@setDataFrame onMetaData" or
// "onMetaData" message, as an object (ECMA arrays are converted).
func (d Data) Metadata() (amf0.Object, bool) {
	args := d.Args
	if d.Name == DataSetDataFrame {
		if len(args) == 0 || args[0] != DataOnMetaData {
			return nil, false
		}
		args = args[1:]
	} else if d.Name != DataOnMetaData {
		return nil, false
	}
	if len(args) == 0 {
		return nil, false
	}
	switch v := args[0].(type) {
	case amf0.Object:
		return v, true
	case amf0.ECMAArray:
		return amf0.Object(v), true
	}
	return nil, false
}

// Append encodes the data message's values into b.
func (d *Data) Append(b []byte) ([]byte, error) {
	b = amf0.AppendString(b, d.Name)
	return amf0.AppendValues(b, d.Args...)
}

// Message encodes the data message on message stream sid.
func (d *Data) Message(sid uint32, ts Timestamp) (Message, error) {
	p, err := d.Append(nil)
	if err != nil {
		return Message{}, err
	}
	return Message{CSID: CSIDData, Type: chunk.TypeDataAMF0, StreamID: sid, Timestamp: ts, Payload: p}, nil
}

// SetDataFrame returns the "@setDataFrame" "onMetaData" data message a
// publisher sends to set the stream's metadata (sent as an ECMA array, as
// encoders do).
func SetDataFrame(md amf0.ECMAArray) Data {
	return Data{Name: DataSetDataFrame, Args: []any{DataOnMetaData, md}}
}
