package cloud

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/media/rtmp"
)

// ingest is the RTMP ingest's bookkeeping: who publishes what, the auth
// and status decisions, and the verifier of every live stream. The RTMP
// protocol itself is media/rtmp's (rtmpserver.go wires it).
type ingest struct {
	c    *Cloud
	auth ingestauth.Verifier
	wg   sync.WaitGroup

	mu   sync.Mutex
	live map[string]*liveStream // by app + "/" + stream

	fmu   sync.Mutex
	fates map[fateKey]*seqWindow
}

// liveStream is one accepted publish.
type liveStream struct {
	in     *ingest
	app    string
	name   string
	param  string // the query the publisher sent (for callbacks)
	client string
	start  time.Time
	stop   func() // closes the publisher's connection (restart, replacement)
	mu     sync.Mutex
	v      streamVerifier
	ended  bool

	// probe players and what they need on joining
	pmu                      sync.Mutex
	players                  []*player
	videoHdr, audioHdr, meta *rtmp.Message
}

func newIngest(c *Cloud) *ingest {
	in := &ingest{c: c, live: make(map[string]*liveStream), fates: make(map[fateKey]*seqWindow)}
	in.auth = c.verifier()
	return in
}

// appKnown tells whether app is served.
func (in *ingest) appKnown(app string) bool {
	app, _, _ = strings.Cut(app, "?")
	for _, a := range in.c.cfg.Apps {
		if a == app {
			return true
		}
	}
	return false
}

// publish decides a publish request: app, then injected faults, then auth,
// then uniqueness of the stream name. On success the stream is live and
// its verifier ready; stop closes the publisher's connection.
func (in *ingest) publish(app, name string, connectQuery url.Values, client string, stop func()) (*liveStream, rtmp.IngestCode) {
	c := in.c
	app, _, _ = strings.Cut(app, "?")
	// the name's query wins over the connect URL's (ffmpeg appends the
	// publish URL's query to the stream name; others put it on tcUrl)
	stream, q := rtmp.SplitStreamName(name)
	for k, v := range connectQuery {
		if _, ok := q[k]; !ok {
			q[k] = v
		}
	}
	st := in.decide(app, stream, q)
	if st != rtmp.IngestSuccess {
		c.stats.refuse(statusKey(st))
		c.cfg.Logf("cloud: publish %s/%s from %s refused: %s", app, stream, client, st)
		return nil, st
	}
	ls := &liveStream{in: in, app: app, name: stream, param: q.Encode(), client: client, start: c.clk.Now(), stop: stop}
	ls.v = streamVerifier{
		st:       StreamStats{Stream: stream, App: app, Device: c.device(stream)},
		device:   c.device(stream),
		stamp:    c.stampReader,
		emit:     c.sink.Observe,
		fates:    in.mark,
		onReject: func(reason string) { c.stats.reject(reason, 1) },
	}
	key := app + "/" + stream
	in.mu.Lock()
	if _, busy := in.live[key]; busy {
		in.mu.Unlock()
		c.stats.refuse(statusKey(rtmp.IngestStreamExists))
		return nil, rtmp.IngestStreamExists
	}
	in.live[key] = ls
	in.mu.Unlock()
	c.stats.publishAccepted.Add(1)
	c.hooks.send(Hook{EventType: HookPublishStart, StreamID: stream, ChannelID: stream, App: app,
		Node: c.node(), UserIP: hostOf(client), StreamParam: ls.param, EventTime: hookTime(ls.start)})
	return ls, rtmp.IngestSuccess
}

func (in *ingest) decide(app, stream string, q url.Values) rtmp.IngestCode {
	c := in.c
	if !in.appKnown(app) {
		return rtmp.IngestNonExistApp
	}
	if stream == "" || len(stream) > 128 || strings.ContainsAny(stream, "/\\ ") {
		return IngestBadStreamName
	}
	if c.faults.fail(RoutePublish) {
		c.stats.injectedErrors.Add(1)
		return IngestUnavailable
	}
	if in.auth != nil {
		if err := in.auth.Verify(stream, q, c.clk.Now()); err != nil {
			return authStatus(err)
		}
	}
	return rtmp.IngestSuccess
}

// mark records that a frame got its fate; false if it already had one.
func (in *ingest) mark(k fateKey, seq uint64) bool {
	in.fmu.Lock()
	defer in.fmu.Unlock()
	w := in.fates[k]
	if w == nil {
		w = &seqWindow{}
		in.fates[k] = w
	}
	return w.mark(seq)
}

// unpublish ends a live stream; abnormal when the connection died rather
// than the publisher closing the stream.
func (in *ingest) unpublish(ls *liveStream, abnormal bool) {
	c := in.c
	ls.mu.Lock()
	if ls.ended {
		ls.mu.Unlock()
		return
	}
	ls.ended = true
	ls.v.end()
	ls.mu.Unlock()
	in.mu.Lock()
	if in.live[ls.app+"/"+ls.name] == ls {
		delete(in.live, ls.app+"/"+ls.name)
	}
	in.mu.Unlock()
	ls.stopPlayers()
	c.stats.streamsEnded.Add(1)
	code, msg := 1, "rtmp_close_stream"
	if abnormal {
		code, msg = 0, "other error"
	}
	c.hooks.send(Hook{EventType: HookPublishEnd, StreamID: ls.name, ChannelID: ls.name, App: ls.app,
		Node: c.node(), UserIP: hostOf(ls.client), StreamParam: ls.param, EventTime: hookTime(c.clk.Now()),
		ErrCode: code, ErrMsg: msg})
}

// video, audio and data take the messages of a live stream.
func (ls *liveStream) video(body []byte, ts time.Duration) {
	now := ls.in.c.clk.Now()
	ls.mu.Lock()
	d0, f0, g0, gf0 := ls.v.st.Delivered, ls.v.st.VideoFrames, ls.v.st.Gaps, ls.v.st.GapFrames
	ls.v.video(body, ts, now)
	d, f := ls.v.st.Delivered-d0, ls.v.st.VideoFrames-f0
	g, gf := ls.v.st.Gaps-g0, ls.v.st.GapFrames-gf0
	ls.mu.Unlock()
	st := ls.in.c.stats
	if g > 0 {
		st.seqGaps.Add(g)
		st.gapFrames.Add(gf)
	}
	st.framesDelivered.Add(d)
	st.rtmpVideo.Add(f)
	st.rtmpBytes.Add(int64(len(body)))
}

func (ls *liveStream) audio(body []byte, ts time.Duration) {
	now := ls.in.c.clk.Now()
	ls.mu.Lock()
	d0, f0 := ls.v.st.Delivered, ls.v.st.AudioFrames
	ls.v.audio(body, ts, now)
	d, f := ls.v.st.Delivered-d0, ls.v.st.AudioFrames-f0
	ls.mu.Unlock()
	st := ls.in.c.stats
	st.framesDelivered.Add(d)
	st.rtmpAudio.Add(f)
	st.rtmpBytes.Add(int64(len(body)))
}

// data takes a data message: onMetaData, or the push SDK's control
// metadata whose stream-start/stream-end types delimit segments (RP4/RP8).
// Segments are the cloud's bookkeeping (Snapshot); the device reports its
// own segment observations.
func (ls *liveStream) data(body []byte) {
	c := ls.in.c
	ls.mu.Lock()
	ev, err := ls.v.metadata(body)
	ls.mu.Unlock()
	if err != nil {
		return
	}
	switch ev {
	case segStart:
		c.stats.segmentsStarted.Add(1)
	case segEnd:
		c.stats.segmentsEnded.Add(1)
	}
}

// streamStats lists the live streams.
func (in *ingest) streamStats() []StreamStats {
	in.mu.Lock()
	list := make([]*liveStream, 0, len(in.live))
	for _, ls := range in.live {
		list = append(list, ls)
	}
	in.mu.Unlock()
	out := make([]StreamStats, 0, len(list))
	for _, ls := range list {
		ls.mu.Lock()
		s := ls.v.st
		if s.MetadataByType != nil {
			m := make(map[int]int64, len(s.MetadataByType))
			for k, v := range s.MetadataByType {
				m[k] = v
			}
			s.MetadataByType = m
		}
		ls.mu.Unlock()
		out = append(out, s)
	}
	return out
}

func (in *ingest) wait() { in.wg.Wait() }

// statusKey names a status in the snapshot's refusal counts.
func statusKey(c rtmp.IngestCode) string {
	d := c.Description()
	switch c {
	case IngestUnavailable:
		d = "Service Unavailable"
	case IngestBadStreamName:
		d = "Invalid Stream Name"
	}
	return fmt.Sprintf("%d/%d %s", c.Code, c.SubCode, d)
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}
