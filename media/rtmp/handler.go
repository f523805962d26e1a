package rtmp

import (
	"net/url"

	"github.com/fleetsim/fleetsim/media/amf0"
)

// Handler is the ingest's side of a server: it accepts or rejects connect,
// publish and play, and receives published messages. Methods of one
// connection are called from that connection's goroutine, one at a time;
// different connections call concurrently.
//
// To reject, return an IngestCode (the server sends the documented status
// for the stage: connect _error with NetConnection.Connect.Rejected or
// .InvalidApp, publish onStatus with NetStream.Publish.BadName or
// .Rejected, play onStatus with NetStream.Play.StreamNotFound or .Failed,
// each with the ingest code, sub-code and description), a *Status (sent as
// is), or any other error (sent as a generic rejection with its text). The
// connection is closed after a rejection.
type Handler interface {
	OnConnect(c *ServerConn, req *ConnectRequest) error
	OnPublish(c *ServerConn, req *StreamRequest) error
	OnPlay(c *ServerConn, req *StreamRequest) error
	// OnMessage receives each complete audio, video or data message of a
	// publishing stream (m.StreamID tells which); Aggregate messages arrive
	// split into their sub-messages. m and m.Payload are valid
	// only until OnMessage returns: the buffer goes back to a pool shared
	// by all connections, so copy whatever must be retained. A non-nil
	// error closes the connection.
	OnMessage(c *ServerConn, m *Message) error
	// OnUnpublish is called once per accepted publish when it ends
	// (FCUnpublish, deleteStream, closeStream or the connection's end).
	OnUnpublish(c *ServerConn, req *StreamRequest)
	// OnClose is called once when the connection ends, with the reason
	// (nil for a clean close by the peer or the server's context).
	OnClose(c *ServerConn, err error)
}

// ConnectRequest is a client's connect.
type ConnectRequest struct {
	App   string // the app, without any query
	TCURL string
	// Query holds the parameters of tcUrl's and app's query strings.
	Query url.Values
	// Object is the full command object.
	Object amf0.Object
	// FourCCList is the Enhanced RTMP codec list the client advertised.
	FourCCList []string
}

// StreamRequest is a publish or play on a message stream.
type StreamRequest struct {
	App      string
	Stream   string // the name without its query
	RawName  string // the name as sent, with the query
	Query    url.Values
	StreamID uint32
	// Type is the publish type ("live", "record", "append"); empty for play.
	Type string
}

// NopHandler accepts every connect, publish and play and drops messages.
// Embed it to implement only some methods.
type NopHandler struct{}

func (NopHandler) OnConnect(*ServerConn, *ConnectRequest) error { return nil }
func (NopHandler) OnPublish(*ServerConn, *StreamRequest) error  { return nil }
func (NopHandler) OnPlay(*ServerConn, *StreamRequest) error     { return nil }
func (NopHandler) OnMessage(*ServerConn, *Message) error        { return nil }
func (NopHandler) OnUnpublish(*ServerConn, *StreamRequest)      {}
func (NopHandler) OnClose(*ServerConn, error)                   {}
