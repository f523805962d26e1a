package cloud

import (
	"sort"
	"sync"
	"sync/atomic"
)

// counters are the cloud's own tallies, read by Snapshot.
type counters struct {
	framesDelivered, framesRejected      atomic.Int64
	slicesStored, slicesRefused          atomic.Int64
	slicesOverwritten, backfillsExpired  atomic.Int64
	sliceBytes                           atomic.Int64
	pictures, picturesRefused            atomic.Int64
	events, eventsRefused                atomic.Int64
	tokens, tokensRefused                atomic.Int64
	destroys                             atomic.Int64
	publishAccepted, publishRefused      atomic.Int64
	streamsEnded                         atomic.Int64
	segmentsStarted, segmentsEnded       atomic.Int64
	seqGaps, gapFrames                   atomic.Int64
	injectedErrors                       atomic.Int64
	restarts, restartFailures            atomic.Int64
	liveViewPackets, liveViewLost        atomic.Int64
	liveViewFrames, liveViewIncomplete   atomic.Int64
	liveViewReordered, liveViewMalformed atomic.Int64
	httpMalformed                        atomic.Int64
	authChecksOK, authChecksRefused      atomic.Int64
	rtmpVideo, rtmpAudio, rtmpBytes      atomic.Int64

	mu       sync.Mutex
	rejected map[string]int64 // frame rejections by reason
	refused  map[string]int64 // publish refusals by status description
}

func newCounters() *counters {
	return &counters{rejected: make(map[string]int64), refused: make(map[string]int64)}
}

func (c *counters) reject(reason string, n int64) {
	c.framesRejected.Add(n)
	c.mu.Lock()
	c.rejected[reason] += n
	c.mu.Unlock()
}

func (c *counters) refuse(desc string) {
	c.publishRefused.Add(1)
	c.mu.Lock()
	c.refused[desc]++
	c.mu.Unlock()
}

// Snapshot is the cloud's state and counters at one moment (JSON at
// GET /v1/stats).
type Snapshot struct {
	FramesDelivered    int64            `json:"frames_delivered"`
	FramesRejected     int64            `json:"frames_rejected"`
	RejectedByReason   map[string]int64 `json:"rejected_by_reason"`
	SlicesStored       int64            `json:"slices_stored"`
	SlicesRefused      int64            `json:"slices_refused"`
	SlicesOverwritten  int64            `json:"slices_overwritten"`
	BackfillsExpired   int64            `json:"backfills_expired"`
	SliceBytes         int64            `json:"slice_bytes"`
	Pictures           int64            `json:"pictures"`
	PicturesRefused    int64            `json:"pictures_refused"`
	Events             int64            `json:"events"`
	EventsRefused      int64            `json:"events_refused"`
	Tokens             int64            `json:"tokens"`
	TokensRefused      int64            `json:"tokens_refused"`
	Destroys           int64            `json:"destroys"`
	PublishAccepted    int64            `json:"publish_accepted"`
	PublishRefused     int64            `json:"publish_refused"`
	RefusedByStatus    map[string]int64 `json:"publish_refused_by_status"`
	LiveStreams        int              `json:"live_streams"`
	StreamsEnded       int64            `json:"streams_ended"`
	SegmentsStarted    int64            `json:"segments_started"`
	SegmentsEnded      int64            `json:"segments_ended"`
	SeqGaps            int64            `json:"seq_gaps"`
	GapFrames          int64            `json:"gap_frames"`
	InjectedErrors     int64            `json:"injected_errors"`
	HTTPMalformed      int64            `json:"http_malformed"`
	RTMPVideoFrames    int64            `json:"rtmp_video_frames"`
	RTMPAudioFrames    int64            `json:"rtmp_audio_frames"`
	RTMPBytes          int64            `json:"rtmp_bytes"`
	AuthChecksOK       int64            `json:"auth_checks_ok"`
	AuthChecksRefused  int64            `json:"auth_checks_refused"`
	OpenConns          int              `json:"open_conns"`
	AcceptedConns      int64            `json:"accepted_conns"`
	RefusedConns       int64            `json:"refused_conns"`
	Restarts           int64            `json:"restarts"`
	RestartFailures    int64            `json:"restart_failures"`
	Down               bool             `json:"down"`
	LiveViewPackets    int64            `json:"liveview_packets"`
	LiveViewLost       int64            `json:"liveview_lost"`
	LiveViewFrames     int64            `json:"liveview_frames"`
	LiveViewIncomplete int64            `json:"liveview_incomplete_frames"`
	LiveViewReordered  int64            `json:"liveview_reordered"`
	LiveViewMalformed  int64            `json:"liveview_malformed"`
	Webhooks           WebhookStats     `json:"webhooks"`
	Streams            []StreamStats    `json:"streams,omitempty"`
}

// Snapshot returns the cloud's counters and its live streams.
func (c *Cloud) Snapshot() Snapshot {
	s := c.stats
	out := Snapshot{
		FramesDelivered: s.framesDelivered.Load(), FramesRejected: s.framesRejected.Load(),
		SlicesStored: s.slicesStored.Load(), SlicesRefused: s.slicesRefused.Load(),
		SlicesOverwritten: s.slicesOverwritten.Load(), BackfillsExpired: s.backfillsExpired.Load(),
		SliceBytes: s.sliceBytes.Load(), Pictures: s.pictures.Load(), PicturesRefused: s.picturesRefused.Load(),
		Events: s.events.Load(), EventsRefused: s.eventsRefused.Load(), Tokens: s.tokens.Load(),
		TokensRefused: s.tokensRefused.Load(), Destroys: s.destroys.Load(),
		PublishAccepted: s.publishAccepted.Load(), PublishRefused: s.publishRefused.Load(),
		StreamsEnded: s.streamsEnded.Load(), SegmentsStarted: s.segmentsStarted.Load(),
		SegmentsEnded: s.segmentsEnded.Load(), SeqGaps: s.seqGaps.Load(), GapFrames: s.gapFrames.Load(),
		InjectedErrors: s.injectedErrors.Load(), HTTPMalformed: s.httpMalformed.Load(),
		RTMPVideoFrames: s.rtmpVideo.Load(), RTMPAudioFrames: s.rtmpAudio.Load(), RTMPBytes: s.rtmpBytes.Load(),
		AuthChecksOK: s.authChecksOK.Load(), AuthChecksRefused: s.authChecksRefused.Load(),
		OpenConns: c.gate.open(), AcceptedConns: c.gate.accepted.Load(), RefusedConns: c.gate.refused.Load(),
		Restarts: s.restarts.Load(), RestartFailures: s.restartFailures.Load(), Down: c.Down(),
		LiveViewPackets: s.liveViewPackets.Load(), LiveViewLost: s.liveViewLost.Load(),
		LiveViewFrames: s.liveViewFrames.Load(), LiveViewIncomplete: s.liveViewIncomplete.Load(),
		LiveViewReordered: s.liveViewReordered.Load(), LiveViewMalformed: s.liveViewMalformed.Load(),
		Webhooks: c.hooks.stats(),
	}
	s.mu.Lock()
	out.RejectedByReason = make(map[string]int64, len(s.rejected))
	for k, v := range s.rejected {
		out.RejectedByReason[k] = v
	}
	out.RefusedByStatus = make(map[string]int64, len(s.refused))
	for k, v := range s.refused {
		out.RefusedByStatus[k] = v
	}
	s.mu.Unlock()
	if c.ingest != nil {
		out.Streams = c.ingest.streamStats()
		out.LiveStreams = len(out.Streams)
		sort.Slice(out.Streams, func(i, j int) bool { return out.Streams[i].Stream < out.Streams[j].Stream })
	}
	return out
}
