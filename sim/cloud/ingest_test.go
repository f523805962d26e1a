package cloud

import (
	"net/url"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// publishVector is one publish request and the status the ingest answers.
type publishVector struct {
	name   string
	auth   Auth
	app    string
	stream string // with the query as publishers send it
	now    time.Time
	want   rtmp.IngestCode
}

// The RP10 vectors: Kingsoft key 123456, stream "stream", t 1560096712 →
// k 4f88e741140240e2 (kingsoft-cloud-live.txt); Tencent key
// e12c46f2612d5106e2034781ab261ca3, stream "test", txTime 5C271099 →
// txSecret f85a2ab363fe4deaffef9754d79da6fe (NOTES.md).
var (
	ksBefore = time.Unix(1560096712-60, 0)
	ksAfter  = time.Unix(1560096712+1, 0)
	txBefore = time.Unix(0x5C271099-60, 0)
	txAfter  = time.Unix(0x5C271099+1, 0)
	ks       = Auth{Kind: AuthKingsoft, Key: "123456"}
	tx       = Auth{Kind: AuthTencent, Key: "e12c46f2612d5106e2034781ab261ca3"}
)

var publishVectors = []publishVector{
	{"no auth", Auth{Kind: AuthNone}, "live", "cam-1", ksBefore, rtmp.IngestSuccess},
	{"unknown app", Auth{Kind: AuthNone}, "vod", "cam-1", ksBefore, rtmp.IngestNonExistApp},
	{"bad stream name", Auth{Kind: AuthNone}, "live", "a b", ksBefore, IngestBadStreamName},
	{"kingsoft valid", ks, "live", "stream?t=1560096712&k=4f88e741140240e2", ksBefore, rtmp.IngestSuccess},
	{"kingsoft upper-case k", ks, "live", "stream?t=1560096712&k=4F88E741140240E2", ksBefore, rtmp.IngestAuthFailed},
	{"kingsoft wrong k", ks, "live", "stream?t=1560096712&k=4f88e741140240e3", ksBefore, rtmp.IngestAuthFailed},
	{"kingsoft other stream", ks, "live", "stream2?t=1560096712&k=4f88e741140240e2", ksBefore, rtmp.IngestAuthFailed},
	{"kingsoft expired", ks, "live", "stream?t=1560096712&k=4f88e741140240e2", ksAfter, rtmp.IngestURLExpired},
	{"kingsoft missing k", ks, "live", "stream?t=1560096712", ksBefore, rtmp.IngestAuthMissing},
	{"kingsoft missing all", ks, "live", "stream", ksBefore, rtmp.IngestAuthMissing},
	{"tencent valid", tx, "live", "test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099", txBefore, rtmp.IngestSuccess},
	{"tencent wrong secret", tx, "live", "test?txSecret=f85a2ab363fe4deaffef9754d79da6ff&txTime=5C271099", txBefore, rtmp.IngestAuthFailed},
	{"tencent expired", tx, "live", "test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099", txAfter, rtmp.IngestURLExpired},
	{"tencent missing", tx, "live", "test?txTime=5C271099", txBefore, rtmp.IngestAuthMissing},
}

func TestPublishDecisions(t *testing.T) {
	for _, v := range publishVectors {
		t.Run(v.name, func(t *testing.T) {
			clk := clock.NewFake(v.now)
			c := New(Config{Auth: v.auth}, clk, observe.Discard{})
			in := newIngest(c)
			ls, st := in.publish(v.app, v.stream, nil, "127.0.0.1:5000", nil)
			if st != v.want {
				t.Fatalf("status %v, want %v", st, v.want)
			}
			if (ls != nil) != (v.want == rtmp.IngestSuccess) {
				t.Fatalf("stream %v with status %v", ls, st)
			}
			if v.want != rtmp.IngestSuccess {
				return
			}
			// the same name again while live: already exists
			if _, st := in.publish(v.app, v.stream, nil, "127.0.0.1:5001", nil); st != rtmp.IngestStreamExists {
				t.Fatalf("second publish: %v", st)
			}
			in.unpublish(ls, false)
			if _, st := in.publish(v.app, v.stream, nil, "127.0.0.1:5002", nil); st != rtmp.IngestSuccess {
				t.Fatalf("publish after unpublish: %v", st)
			}
		})
	}
}

func TestPublishQueryInTCURL(t *testing.T) {
	c := New(Config{Auth: ks}, clock.NewFake(ksBefore), observe.Discard{})
	in := newIngest(c)
	if _, st := in.publish("live", "stream", url.Values{"t": {"1560096712"}, "k": {"4f88e741140240e2"}}, "x:1", nil); st != rtmp.IngestSuccess {
		t.Fatalf("query in tcUrl: %v", st)
	}
}

func TestPublishTokenSelf(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	c := New(Config{Auth: Auth{Kind: AuthToken, URL: "self"}, TokenTTL: time.Minute}, clk, observe.Discard{})
	in := newIngest(c)
	tok, _ := c.tokens.issue("cam-9")
	if _, st := in.publish("live", "cam-9?token="+tok, nil, "x:1", nil); st != rtmp.IngestSuccess {
		t.Fatalf("own token: %v", st)
	}
	if _, st := in.publish("live", "cam-8?token="+tok, nil, "x:1", nil); st != rtmp.IngestAuthFailed {
		t.Fatalf("token of another stream: %v", st)
	}
	if _, st := in.publish("live", "cam-7", nil, "x:1", nil); st != rtmp.IngestAuthMissing {
		t.Fatalf("no token: %v", st)
	}
	clk.Advance(2 * time.Minute)
	if _, st := in.publish("live", "cam-9?token="+tok, nil, "x:1", nil); st != rtmp.IngestURLExpired {
		t.Fatalf("expired token: %v", st)
	}
}

// streamMsg is one RTMP message of a test stream.
type streamMsg struct {
	kind string // video audio data
	body []byte
	ts   time.Duration
}

// stampedStream builds the messages of a fleetsim-like publisher: sequence
// headers, then video frames first..first+n-1 with stamps of device dev
// and audio in between.
func stampedStream(t testing.TB, m *testMedia, dev uint64, first uint64, n int, headers bool) []streamMsg {
	t.Helper()
	var out []streamMsg
	if headers {
		cfg := m.synth.DecoderConfig()
		rec, err := cfg.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		vh, _ := flv.AppendVideoSequenceHeader(nil, av.H264, flv.HEVCLegacy, rec)
		ah := flv.AppendAACSequenceHeader(nil, []byte{0x14, 0x08}) // AAC-LC 16 kHz mono
		out = append(out, streamMsg{"video", vh, 0}, streamMsg{"audio", ah, 0})
	}
	aDur := 64 * time.Millisecond
	aSeq := uint64(time.Duration(first) * time.Second / 15 / aDur)
	for i := 0; i < n; i++ {
		seq := first + uint64(i)
		capture := clock.Epoch().Add(time.Duration(seq) * time.Second / 15)
		sei := stamp.Append(nil, av.H264, stamp.New(dev, seq, capture))
		f := m.video(seq, sei, capture)
		b, err := flv.AppendVideoTagBody(nil, f, flv.HEVCLegacy)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, streamMsg{"video", b, f.PTS.Truncate(time.Millisecond)})
		for time.Duration(aSeq)*aDur < f.PTS+time.Second/15 {
			a, _ := flv.AppendAudioTagBody(nil, m.audioFrame(aSeq, capture))
			out = append(out, streamMsg{"audio", a, (time.Duration(aSeq) * aDur).Truncate(time.Millisecond)})
			aSeq++
		}
	}
	return out
}

func feed(ls *liveStream, msgs []streamMsg) {
	for _, m := range msgs {
		switch m.kind {
		case "video":
			ls.video(m.body, m.ts)
		case "audio":
			ls.audio(m.body, m.ts)
		default:
			ls.data(m.body)
		}
	}
}

func TestStreamVerification(t *testing.T) {
	m := newTestMedia(t)
	clk := clock.NewFake(clock.Epoch().Add(10 * time.Second))
	rec := &recorder{}
	c := New(Config{}, clk, rec)
	in := newIngest(c)
	ls, st := in.publish("live", "cam-0004", nil, "x:1", nil)
	if st != rtmp.IngestSuccess {
		t.Fatal(st)
	}
	start, _ := amf0.AppendValues(nil, "@setDataFrame", "onMetaData", amf0.Object{{Key: "type", Value: 0.0}, {Key: "tigger_type", Value: 2.0}})
	end, _ := amf0.AppendValues(nil, "onMetaData", amf0.Object{{Key: "type", Value: 1.0}, {Key: "alarm_time", Value: 5.0}})
	msgs := []streamMsg{{"data", start, 0}}
	msgs = append(msgs, stampedStream(t, m, 4, 0, 45, true)...)
	msgs = append(msgs, streamMsg{"data", end, 0})
	feed(ls, msgs)
	var vd, ad int
	for _, o := range rec.all() {
		if o.Kind != observe.FrameDelivered {
			t.Fatalf("unexpected %v %s", o.Kind, o.Reason)
		}
		if o.Device != 4 {
			t.Fatalf("device %d", o.Device)
		}
		if o.Stream == observe.Video {
			if o.Seq != uint64(vd) {
				t.Fatalf("video seq %d, want %d", o.Seq, vd)
			}
			want := 10*time.Second - time.Duration(o.Seq)*time.Second/15
			if o.Value != want {
				t.Fatalf("latency of frame %d: %v, want %v", o.Seq, o.Value, want)
			}
			// the size the camera counts (av.Frame.Size), not the tag's
			capture := clock.Epoch().Add(time.Duration(o.Seq) * time.Second / 15)
			if size := m.video(o.Seq, stamp.Append(nil, av.H264, stamp.New(4, o.Seq, capture)), capture).Size(); o.Size != int64(size) {
				t.Fatalf("frame %d delivered with size %d, sent %d", o.Seq, o.Size, size)
			}
			vd++
		} else {
			if o.Seq != uint64(ad) {
				t.Fatalf("audio seq %d, want %d", o.Seq, ad)
			}
			if o.Value < 6*time.Second || o.Value > 10*time.Second {
				t.Fatalf("audio latency %v", o.Value)
			}
			if o.Size != int64(len(m.audio)) {
				t.Fatalf("audio frame %d delivered with size %d, sent %d", o.Seq, o.Size, len(m.audio))
			}
			ad++
		}
	}
	if vd != 45 || ad != 47 {
		t.Fatalf("delivered %d video %d audio", vd, ad)
	}
	ss := in.streamStats()
	if len(ss) != 1 || ss[0].Segments != 1 || ss[0].SegmentsEnded != 1 || ss[0].Trigger != 2 || ss[0].Gaps != 0 {
		t.Fatalf("stats %+v", ss)
	}
	// the same frames again (a reconnect re-sending its buffer): no second fate
	in.unpublish(ls, true)
	ls2, _ := in.publish("live", "cam-0004", nil, "x:2", nil)
	n := len(rec.all())
	feed(ls2, stampedStream(t, m, 4, 30, 15, true))
	if len(rec.all()) != n {
		t.Fatalf("re-sent frames got %d more fates", len(rec.all())-n)
	}
	// then a gap of 5 frames, continuing
	feed(ls2, stampedStream(t, m, 4, 50, 10, false))
	if s := in.streamStats()[0]; s.Gaps != 1 || s.GapFrames != 5 || s.Duplicates == 0 {
		t.Fatalf("stats after the gap %+v", s)
	}
}

func TestStreamRejections(t *testing.T) {
	m := newTestMedia(t)
	cases := []struct {
		name   string
		msgs   func() []streamMsg
		reason string
		n      int
	}{
		{"starts mid-GOP", func() []streamMsg { return stampedStream(t, m, 1, 5, 10, true) }, observe.ReasonNotIDR, 10},
		{"no sequence header", func() []streamMsg { return stampedStream(t, m, 1, 0, 5, false) }, ReasonNoSeqHeader, 5},
		{"another device's frames", func() []streamMsg { return stampedStream(t, m, 2, 0, 5, true) }, ReasonWrongDevice, 5},
		{"timestamp going back", func() []streamMsg {
			s := stampedStream(t, m, 1, 0, 5, true)
			var v []int
			for i, x := range s {
				if x.kind == "video" && i > 0 {
					v = append(v, i)
				}
			}
			s[v[len(v)-1]].ts = 0
			return s
		}, ReasonNonMonotonic, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			c := New(Config{}, clock.NewFake(clock.Epoch().Add(time.Minute)), rec)
			in := newIngest(c)
			ls, _ := in.publish("live", "cam-1", nil, "x:1", nil)
			feed(ls, tc.msgs())
			if got := rec.count(observe.FrameRejected, tc.reason); got != tc.n {
				t.Fatalf("%d rejected with %s, want %d (all: %d rejected)", got, tc.reason, tc.n, rec.count(observe.FrameRejected, ""))
			}
		})
	}
}

func TestSeqWindow(t *testing.T) {
	var w seqWindow
	steps := []struct {
		seq  uint64
		want bool
	}{{5, true}, {5, false}, {6, true}, {4, true}, {4, false}, {2000, true}, {6, false}, {1999, true}, {1500, true}, {976, false}, {977, true}}
	for i, s := range steps {
		if got := w.mark(s.seq); got != s.want {
			t.Fatalf("step %d: mark(%d) = %v", i, s.seq, got)
		}
	}
}

func TestPublishInjectedFault(t *testing.T) {
	c := New(Config{Seed: 3}, clock.NewFake(clock.Epoch()), observe.Discard{})
	in := newIngest(c)
	c.SetErrorRate(RoutePublish, 1)
	if _, st := in.publish("live", "cam-1", nil, "x:1", nil); st != IngestUnavailable {
		t.Fatalf("error rate 1: %v", st)
	}
	c.SetErrorRate(RoutePublish, 0)
	c.SetErrorRate(RouteAll, 1) // every route without its own rate…
	c.SetErrorRate(RoutePublish, 0)
	if _, st := in.publish("live", "cam-1", nil, "x:1", nil); st != rtmp.IngestSuccess {
		t.Fatalf("publish with its own rate 0 under * = 1: %v", st)
	}
	if s := c.Snapshot(); s.RefusedByStatus["6/0 Service Unavailable"] != 1 || s.InjectedErrors != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}
