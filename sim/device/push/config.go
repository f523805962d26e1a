package push

import (
	"context"
	"math/rand/v2"
	"net"
	"time"

	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Thresholds of the pool (RP6, NOTES.md).
const (
	MinPoolSize      = 100_000 * units.Byte // Initialize wants more than 100 KB
	PauseFreeBelow   = 150 * units.KiB
	DefaultChunkSize = 60000 // the SDK's RTMP chunk size
)

// Dial opens the TCP connection under RTMP (a link's Dial).
type Dial func(ctx context.Context, network, address string) (net.Conn, error)

// Receipts is the cloud's record of the frames it gave a fate (the embedded
// cloud: sim/cloud.Cloud.HasFate). It decides which frames written to a dead
// connection are lost.
type Receipts interface {
	HasFate(device, channel int, stream observe.Stream, seq uint64) bool
}

// Deps are what the SDK is driven by.
type Deps struct {
	Clock clock.Clock
	// Rand fills handshake randomness (the device's own source).
	Rand *rand.Rand
	Sink observe.Sink
	// Dial opens connections; nil is a net.Dialer.
	Dial Dial
	// Receipts, when set, decides frames lost on dead connections.
	Receipts Receipts
}

// Options are the per-SDK settings beyond Initialize's arguments.
type Options struct {
	// Device and Channel are put in observations (fleet index).
	Device, Channel int
	// ChunkSize is the outgoing RTMP chunk size (60000).
	ChunkSize uint32
	// Heartbeat is the idle time before a heartbeat (2 s).
	Heartbeat time.Duration
	// ConnectTimeout bounds the connect stages on the clock (10 s); running
	// out is outcome 0x07.
	ConnectTimeout time.Duration
	// WriteTimeout bounds each write once connected (0: none; the link
	// decides).
	WriteTimeout time.Duration
	// HEVC selects H.265 carriage (RP9): flv.HEVCLegacy (codec id 12) or
	// flv.HEVCEnhanced ('hvc1', advertised in connect's fourCcList).
	HEVC flv.HEVCMode
	// LostGrace is how long after a connection died the SDK asks Receipts
	// which written frames the cloud accounted (2 s).
	LostGrace time.Duration
	// AudioConfig is the AAC AudioSpecificConfig of frames given with
	// SendFrame (SendPacket derives it from the ADTS header).
	AudioConfig []byte
	// TimestampBase is added to frames' PTS to form RTMP timestamps:
	// the media time of the stream's origin. A device whose source restarted
	// (frame numbers keep counting, PTS starts again) sets it to the audio
	// frames' sequence times (first audio seq × frame duration), so that
	// timestamp ÷ frame duration is the audio frame's number, as the ingest
	// reads it.
	TimestampBase time.Duration
	// Signer, when set, signs every connect URL for the ingest's auth
	// scheme (RP10: Kingsoft t/k, Tencent txSecret/txTime), valid for
	// SignTTL (1 h) from the connect on the clock.
	Signer  ingestauth.Signer
	SignTTL time.Duration
	// FlushDelay, when positive, lets the sender gather: a message queued
	// on an idle connection waits up to FlushDelay on the clock, and
	// everything queued meanwhile goes out with the same socket write (a
	// video frame and the audio next to it), at the cost of up to
	// FlushDelay more latency. The bytes on the wire are the same. 0
	// writes each message as soon as it is queued, as the SDK does. The
	// sender writes at once anyway when the pool is a quarter used.
	FlushDelay time.Duration
	// FlushOnVideo, with FlushDelay, writes each video frame at once
	// together with what was gathered before it: only audio and metadata
	// wait (for the next video frame, at most FlushDelay), so video
	// latency is unchanged and a stream costs about one socket write per
	// video frame instead of one per message.
	FlushOnVideo bool
}

func (o *Options) defaults() {
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = 2 * time.Second
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.SignTTL == 0 {
		o.SignTTL = time.Hour
	}
	if o.LostGrace == 0 {
		o.LostGrace = 2 * time.Second
	}
}
