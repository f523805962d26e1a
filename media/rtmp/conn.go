package rtmp

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// conn is what client and server connections share: a serialised chunk
// writer with deadlines, a chunk reader, and the protocol control replies
// (acknowledgements, ping responses, window size) every peer owes.
type conn struct {
	nc  net.Conn
	clk clock.Clock

	wmu          sync.Mutex
	w            *chunk.Writer
	werr         error
	writeTimeout time.Duration
	wdl          deadline
	cmdBuf       []byte
	raw          *rawWriter // a client's TryFlush writes; nil when nc is no socket

	// Owned by the reading goroutine.
	r            *chunk.Reader
	readTimeout  time.Duration
	rdl          deadline
	peerWindow   uint32 // acknowledge every peerWindow bytes received
	lastAck      uint64
	answeredBand uint32
}

func newConn(nc net.Conn, clk clock.Clock, o chunk.ReaderOptions) *conn {
	if clk == nil {
		clk = clock.NewReal()
	}
	c := &conn{nc: nc, clk: clk, w: chunk.NewWriter(nc), r: chunk.NewReader(nc, o)}
	if o.Pool != nil {
		c.w.UsePool(o.Pool)
	}
	return c
}

// errWriteFailed marks a connection whose earlier write failed.
var errWriteFailed = errors.New("rtmp: connection unusable after a failed write")

// flushLocked writes the buffered chunks with one Write. wmu must be held.
func (c *conn) flushLocked() error {
	if c.werr != nil {
		c.w.Reset()
		return c.werr
	}
	if c.writeTimeout > 0 {
		if err := c.wdl.extend(c.clk, c.writeTimeout, c.nc.SetWriteDeadline); err != nil {
			c.werr = err
			return err
		}
	}
	if err := c.w.Flush(); err != nil {
		c.werr = errors.Join(errWriteFailed, err)
		return err
	}
	return nil
}

// send writes one message with one Write.
func (c *conn) send(m *Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	if err := c.w.Append(m); err != nil {
		return err
	}
	return c.flushLocked()
}

// sendBatch writes messages with one Write.
func (c *conn) sendBatch(ms []Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	for i := range ms {
		if err := c.w.Append(&ms[i]); err != nil {
			c.w.Reset()
			return err
		}
	}
	return c.flushLocked()
}

// setChunkSize queues Set Chunk Size and switches the writer; the message
// goes out with the next flush.
func (c *conn) setChunkSize(n uint32) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.w.AppendSetChunkSize(n)
}

// sendCommand encodes and writes a command on message stream sid.
func (c *conn) sendCommand(sid uint32, cmd *Command) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	p, err := cmd.Append(c.cmdBuf[:0])
	if err != nil {
		return err
	}
	c.cmdBuf = p
	if err := c.w.Append(&Message{CSID: CSIDCommand, Type: chunk.TypeCommandAMF0, StreamID: sid, Payload: p}); err != nil {
		return err
	}
	return c.flushLocked()
}

// sendStatus sends onStatus on message stream sid.
func (c *conn) sendStatus(sid uint32, s *Status) error {
	return c.sendCommand(sid, &Command{Name: CmdOnStatus, Object: nil, Args: []any{s.Object()}})
}

// readMessage returns the next message that is not protocol control,
// answering control messages on the way. The message is valid until the
// next call.
func (c *conn) readMessage() (*Message, error) {
	for {
		if c.readTimeout > 0 {
			if err := c.rdl.extend(c.clk, c.readTimeout, c.nc.SetReadDeadline); err != nil {
				return nil, err
			}
		}
		m, err := c.r.ReadMessage()
		if err != nil {
			return nil, err
		}
		if err := c.maybeAck(); err != nil {
			return nil, err
		}
		if m.CSID != CSIDControl && m.Type > chunk.TypeSetPeerBandwidth {
			return m, nil
		}
		switch m.Type {
		case chunk.TypeSetChunkSize, chunk.TypeAbort, chunk.TypeAck:
			// Applied by the chunk reader; acknowledgements of our sends
			// need no action.
		case chunk.TypeWindowAckSize:
			n, err := ParseU32(m)
			if err != nil {
				return nil, err
			}
			c.peerWindow = n
		case chunk.TypeSetPeerBandwidth:
			n, _, err := ParseSetPeerBandwidth(m)
			if err != nil {
				return nil, err
			}
			if n != c.answeredBand {
				// The peer's send window changed: answer with our window
				// acknowledgement size (RTMP 1.0 §5.4.5).
				c.answeredBand = n
				wm := WindowAckSizeMessage(n)
				if err := c.send(&wm); err != nil {
					return nil, err
				}
			}
		case chunk.TypeUserControl:
			u, err := ParseUserControl(m)
			if err != nil {
				return nil, err
			}
			if u.Event == EventPingRequest {
				pm := UserControlMessage(UserControl{Event: EventPingResponse, Value: u.Value})
				if err := c.send(&pm); err != nil {
					return nil, err
				}
			}
		default:
			return m, nil
		}
	}
}

// maybeAck acknowledges received bytes once a window has passed.
func (c *conn) maybeAck() error {
	if c.peerWindow == 0 {
		return nil
	}
	n := c.r.BytesRead()
	if n-c.lastAck < uint64(c.peerWindow) {
		return nil
	}
	c.lastAck = n
	am := AckMessage(uint32(n))
	return c.send(&am)
}

// decodeCommand decodes m when it is a command.
func decodeCommand(m *Message) (Command, bool, error) {
	if m.Type != chunk.TypeCommandAMF0 && m.Type != chunk.TypeCommandAMF3 {
		return Command{}, false, nil
	}
	cmd, err := ParseCommand(m)
	return cmd, err == nil, err
}

// statusOf returns the status object of a command (_result/_error info
// in the first argument, onStatus info likewise).
func statusOf(cmd *Command) *Status {
	if s, ok := StatusFromObject(cmd.Arg(0)); ok {
		return s
	}
	if s, ok := StatusFromObject(cmd.Object); ok {
		return s
	}
	return nil
}

// deadline keeps a socket deadline about timeout ahead without resetting
// it for every message: it moves only once a quarter of the timeout has
// passed, so a connection is cut between 3/4 and all of timeout after its
// last progress, and thousands of busy connections do not churn timers.
type deadline struct {
	set time.Time // when the deadline was last moved
}

func (d *deadline) extend(clk clock.Clock, timeout time.Duration, set func(time.Time) error) error {
	now := clk.Now()
	if !d.set.IsZero() && now.Sub(d.set) < timeout/4 {
		return nil
	}
	d.set = now
	return set(now.Add(timeout))
}
