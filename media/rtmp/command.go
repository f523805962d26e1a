package rtmp

import (
	"errors"
	"fmt"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// Command names.
const (
	CmdConnect         = "connect"
	CmdCreateStream    = "createStream"
	CmdReleaseStream   = "releaseStream"
	CmdFCPublish       = "FCPublish"
	CmdFCUnpublish     = "FCUnpublish"
	CmdPublish         = "publish"
	CmdPlay            = "play"
	CmdDeleteStream    = "deleteStream"
	CmdCloseStream     = "closeStream"
	CmdGetStreamLength = "getStreamLength"
	CmdResult          = "_result"
	CmdError           = "_error"
	CmdOnStatus        = "onStatus"
	CmdOnBWDone        = "onBWDone"
	CmdOnFCPublish     = "onFCPublish"
)

// Command is an AMF0 command message: a name, a transaction id, a command
// object (an amf0.Object or nil) and further arguments.
type Command struct {
	Name   string
	TxID   float64
	Object any
	Args   []any
}

// ErrNotCommand is returned for a payload that is not a command.
var ErrNotCommand = errors.New("rtmp: not a command")

// ParseCommand decodes an AMF0 (type 20) or AMF3-wrapped (type 17) command
// message. AMF3 commands are accepted when their values are AMF0 (the
// format selector byte first), which is what peers send.
func ParseCommand(m *Message) (Command, error) {
	p := m.Payload
	switch m.Type {
	case chunk.TypeCommandAMF0:
	case chunk.TypeCommandAMF3:
		if len(p) == 0 || p[0] != 0 {
			return Command{}, fmt.Errorf("%w: AMF3 command without the AMF0 selector", ErrNotCommand)
		}
		p = p[1:]
	default:
		return Command{}, fmt.Errorf("%w: message type %v", ErrNotCommand, m.Type)
	}
	vs, err := amf0.DecodeAll(p)
	if err != nil {
		return Command{}, fmt.Errorf("rtmp: command: %w", err)
	}
	if len(vs) == 0 {
		return Command{}, fmt.Errorf("%w: empty", ErrNotCommand)
	}
	name, ok := vs[0].(string)
	if !ok {
		return Command{}, fmt.Errorf("%w: name is %T", ErrNotCommand, vs[0])
	}
	c := Command{Name: name}
	if len(vs) > 1 {
		c.TxID, _ = vs[1].(float64)
	}
	if len(vs) > 2 {
		c.Object = vs[2]
	}
	if len(vs) > 3 {
		c.Args = vs[3:]
	}
	return c, nil
}

// Append encodes the command into b.
func (c *Command) Append(b []byte) ([]byte, error) {
	b = amf0.AppendString(b, c.Name)
	b = amf0.AppendNumber(b, c.TxID)
	b, err := amf0.AppendValue(b, c.Object)
	if err != nil {
		return b, err
	}
	return amf0.AppendValues(b, c.Args...)
}

// Message encodes the command as a message on message stream sid.
func (c *Command) Message(sid uint32) (Message, error) {
	p, err := c.Append(nil)
	if err != nil {
		return Message{}, err
	}
	return Message{CSID: CSIDCommand, Type: chunk.TypeCommandAMF0, StreamID: sid, Payload: p}, nil
}

// Arg returns argument i (after the command object) or nil.
func (c *Command) Arg(i int) any {
	if i < len(c.Args) {
		return c.Args[i]
	}
	return nil
}

// StringArg returns argument i when it is a string.
func (c *Command) StringArg(i int) string {
	s, _ := c.Arg(i).(string)
	return s
}

// ObjectArg returns argument i when it is an object (or ECMA array).
func (c *Command) ObjectArg(i int) amf0.Object {
	switch v := c.Arg(i).(type) {
	case amf0.Object:
		return v
	case amf0.ECMAArray:
		return amf0.Object(v)
	}
	return nil
}

// CommandObject returns the command object when it is an object.
func (c *Command) CommandObject() amf0.Object {
	o, _ := c.Object.(amf0.Object)
	return o
}
