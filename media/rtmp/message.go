package rtmp

import (
	"time"

	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// Message, its type and timestamp are the chunk layer's.
type (
	Message   = chunk.Message
	TypeID    = chunk.TypeID
	Timestamp = chunk.Timestamp
)

// TimestampOf converts a media time to an RTMP timestamp (milliseconds,
// wrapping modulo 2^32).
func TimestampOf(d time.Duration) Timestamp { return chunk.TimestampOf(d) }

// Chunk streams this package sends on.
const (
	CSIDControl = 2 // protocol control and user control messages
	CSIDCommand = 3 // commands
	CSIDAudio   = 4
	CSIDData    = 5 // data messages (@setDataFrame, metadata)
	CSIDVideo   = 6
)

// DefaultPort is the RTMP TCP port.
const DefaultPort = 1935
