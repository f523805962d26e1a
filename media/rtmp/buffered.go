package rtmp

import "github.com/fleetsim/fleetsim/media/rtmp/chunk"

// Buffered writes: a publisher with several messages ready (a video frame
// and the audio around it, a metadata object and the frame after it)
// encodes them into the connection's send buffer with the Buffer methods
// and writes them all with one Flush — one socket write instead of one per
// message. The bytes on the wire are the same as with the Write methods,
// which also write whatever was buffered before them. Control replies of
// the reading goroutine (acknowledgements, ping responses) flush the
// buffer too, in order.

// BufferVideo encodes one FLV video tag body into the send buffer; the
// tag is copied, so the caller may reuse it at once.
func (c *ClientConn) BufferVideo(ts Timestamp, tag []byte) error {
	return c.bufferMedia(CSIDVideo, chunk.TypeVideo, ts, tag)
}

// BufferAudio encodes one FLV audio tag body into the send buffer.
func (c *ClientConn) BufferAudio(ts Timestamp, tag []byte) error {
	return c.bufferMedia(CSIDAudio, chunk.TypeAudio, ts, tag)
}

// BufferVideoParts encodes one FLV video tag body given in pieces (the
// concatenation of parts, flv.AppendVideoTagParts) into the send buffer,
// copying each piece once; the bytes are those of BufferVideo with the
// whole body.
func (c *ClientConn) BufferVideoParts(ts Timestamp, parts [][]byte) error {
	return c.bufferMediaParts(CSIDVideo, chunk.TypeVideo, ts, parts)
}

// BufferAudioParts is BufferVideoParts for an audio tag body.
func (c *ClientConn) BufferAudioParts(ts Timestamp, parts [][]byte) error {
	return c.bufferMediaParts(CSIDAudio, chunk.TypeAudio, ts, parts)
}

func (c *ClientConn) bufferMediaParts(csid uint32, typ TypeID, ts Timestamp, parts [][]byte) error {
	m := Message{CSID: csid, Type: typ, StreamID: c.sid, Timestamp: ts}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return stageError(StageClose, c.werr)
	}
	if err := c.w.AppendParts(&m, parts); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

// BufferData encodes an AMF0 data message (RP8 metadata objects) at
// timestamp ts into the send buffer.
func (c *ClientConn) BufferData(ts Timestamp, d Data) error {
	m, err := d.Message(c.sid, ts)
	if err != nil {
		return err
	}
	if err := c.buffer(&m); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

// Flush writes everything buffered with one socket write (nothing when
// the buffer is empty). After a failed write the connection is unusable.
func (c *ClientConn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.w.Buffered() == 0 && c.werr == nil {
		return nil
	}
	if err := c.flushLocked(); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

// Buffered is the number of encoded bytes waiting for Flush.
func (c *ClientConn) Buffered() int {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.w.Buffered()
}

// Offset is the stream offset at which the next buffered message starts:
// the bytes written to the socket so far plus those buffered.
func (c *ClientConn) Offset() uint64 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.w.Flushed() + uint64(c.w.Buffered())
}

// Written is the number of bytes the socket accepted so far, including a
// failed write's partial progress (buffered bytes a failure discarded
// never count). A message whose Offset was at or beyond Written after a
// failure never left this end.
func (c *ClientConn) Written() uint64 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.w.Flushed()
}

func (c *ClientConn) bufferMedia(csid uint32, typ TypeID, ts Timestamp, p []byte) error {
	m := Message{CSID: csid, Type: typ, StreamID: c.sid, Timestamp: ts, Payload: p}
	if err := c.buffer(&m); err != nil {
		return stageError(StageClose, err)
	}
	return nil
}

// buffer encodes m into the send buffer without writing it.
func (c *conn) buffer(m *Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	return c.w.Append(m)
}
