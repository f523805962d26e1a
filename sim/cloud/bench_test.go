package cloud

import (
	"io"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// BenchmarkIngestFrames: the per-message cost of the RTMP ingest's
// verification (FLV parse, stamp, checks, fate) for the quickstart mix of
// video and audio; one op is one message.
func BenchmarkIngestFrames(b *testing.B) {
	m := newTestMedia(b)
	msgs := stampedStream(b, m, 1, 0, 300, true)
	c := New(Config{}, clock.NewReal(), observe.Discard{})
	in := newIngest(c)
	b.ReportAllocs()
	b.ResetTimer()
	ls, _ := in.publish("live", "cam-1", nil, "x:1", nil)
	base := uint64(0)
	for i := 0; i < b.N; i++ {
		k := i % len(msgs)
		if k == 0 && i > 0 {
			// a fresh stream and fresh sequence numbers each round
			in.unpublish(ls, false)
			base += 1 << 20
			in.fates = map[fateKey]*seqWindow{}
			ls, _ = in.publish("live", "cam-1", nil, "x:1", nil)
		}
		msg := msgs[k]
		switch msg.kind {
		case "video":
			ls.video(msg.body, msg.ts)
		case "audio":
			ls.audio(msg.body, msg.ts)
		}
	}
}

// BenchmarkSliceStore: parsing, verifying, indexing and delivering one
// 10 s TS slice (150 video + 157 audio frames) without HTTP.
func BenchmarkSliceStore(b *testing.B) {
	m := newTestMedia(b)
	body, af, an := m.ts(b, 0, 150, true, stampFor(3))
	c := New(Config{}, clock.NewFake(clock.Epoch().Add(time.Minute)), observe.Discard{})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := cloudapi.SliceUpload{Device: "cam-3", Seq: uint64(i), Format: cloudapi.FormatTS,
			UTCStart: clock.Epoch().Add(time.Duration(i) * 10 * time.Second), UTCEnd: clock.Epoch().Add(time.Duration(i+1) * 10 * time.Second),
			FrameSeqFirst: 0, FrameSeqLast: 149, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1, Body: body}
		if _, e := c.storeSlice(&s); e != nil {
			b.Fatal(e)
		}
	}
}

// BenchmarkSliceStoreStream: the same slice verified as it arrives in
// 1448-byte reads (one TCP segment each), as the HTTP API does for TS,
// holding 32 KiB instead of the slice; compare BenchmarkSliceStore (body
// already whole) and BenchmarkSliceStoreReadWhole (read into a pooled
// buffer first, the fMP4 path).
func BenchmarkSliceStoreStream(b *testing.B) {
	m := newTestMedia(b)
	body, af, an := m.ts(b, 0, 150, true, stampFor(3))
	c := New(Config{}, clock.NewFake(clock.Epoch().Add(time.Minute)), observe.Discard{})
	r := &failAfter{}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := cloudapi.SliceUpload{Device: "cam-3", Seq: uint64(i), Format: cloudapi.FormatTS,
			UTCStart: clock.Epoch().Add(time.Duration(i) * 10 * time.Second), UTCEnd: clock.Epoch().Add(time.Duration(i+1) * 10 * time.Second),
			FrameSeqFirst: 0, FrameSeqLast: 149, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1}
		r.data = body
		if _, e := c.storeSliceStream(&s, MediaSliceParser{}, r, int64(len(body)), nil); e != nil {
			b.Fatal(e)
		}
	}
}

// BenchmarkSliceStoreReadWhole: the slice read in 1448-byte reads into a
// pooled buffer, then verified whole.
func BenchmarkSliceStoreReadWhole(b *testing.B) {
	m := newTestMedia(b)
	body, af, an := m.ts(b, 0, 150, true, stampFor(3))
	c := New(Config{}, clock.NewFake(clock.Epoch().Add(time.Minute)), observe.Discard{})
	var pool bodyPool
	r := &failAfter{}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := cloudapi.SliceUpload{Device: "cam-3", Seq: uint64(i), Format: cloudapi.FormatTS,
			UTCStart: clock.Epoch().Add(time.Duration(i) * 10 * time.Second), UTCEnd: clock.Epoch().Add(time.Duration(i+1) * 10 * time.Second),
			FrameSeqFirst: 0, FrameSeqLast: 149, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1}
		r.data = body
		s.Body = pool.get(len(body))
		if _, err := io.ReadFull(r, s.Body); err != nil {
			b.Fatal(err)
		}
		if _, e := c.storeSlice(&s); e != nil {
			b.Fatal(e)
		}
		pool.put(s.Body)
	}
}

// BenchmarkRTPStats: one RTP packet through the reception statistics.
func BenchmarkRTPStats(b *testing.B) {
	s := newRTPStats(90000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.add(uint16(i), uint32(i/4)*6000, i%4 == 3, time.Duration(i)*time.Millisecond)
	}
}
