package av

import (
	"bytes"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"
)

// same reports whether a frame read back from a Packed equals the appended
// one as Packed promises: every field, Capture as an instant, small units
// by value, large ones by identity.
func same(t interface {
	Helper()
	Fatalf(string, ...any)
}, i int, got, want *Frame) {
	t.Helper()
	if got.Codec != want.Codec || got.Key != want.Key || got.Seq != want.Seq || got.PTS != want.PTS || got.DTS != want.DTS {
		t.Fatalf("frame %d: got %v/%v/%d/%v/%v, want %v/%v/%d/%v/%v", i,
			got.Codec, got.Key, got.Seq, got.PTS, got.DTS, want.Codec, want.Key, want.Seq, want.PTS, want.DTS)
	}
	if !got.Capture.Equal(want.Capture) || got.Capture.IsZero() != want.Capture.IsZero() {
		t.Fatalf("frame %d: capture %v, want %v", i, got.Capture, want.Capture)
	}
	if len(got.NALUs) != len(want.NALUs) {
		t.Fatalf("frame %d: %d NAL units, want %d", i, len(got.NALUs), len(want.NALUs))
	}
	for k := range want.NALUs {
		if !identical(got.NALUs[k], want.NALUs[k]) {
			t.Fatalf("frame %d: NAL unit %d is not the appended one", i, k)
		}
	}
	if (got.Payload == nil) != (want.Payload == nil) || !identical(got.Payload, want.Payload) {
		t.Fatalf("frame %d: payload is not the appended one", i)
	}
	if got.Size() != want.Size() {
		t.Fatalf("frame %d: size %d, want %d", i, got.Size(), want.Size())
	}
}

func identical(a, b []byte) bool {
	if len(b) <= SmallUnit {
		return bytes.Equal(a, b)
	}
	return len(a) == len(b) && &a[0] == &b[0]
}

// packedVectors are frame lists with the shapes a recorder sees: a camera's
// video and audio (shared units and one own unit per video frame), B frames
// (DTS ≠ PTS from the middle on), a zero capture time, an empty payload,
// frames with no units.
func packedVectors() map[string][]*Frame {
	sps, pps, idr, p := []byte{0x67, 1, 2}, []byte{0x68, 3}, make([]byte, 900), make([]byte, 300)
	aac := make([]byte, 256)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 123, time.FixedZone("x", 3600))
	var cam []*Frame
	for i := range 40 {
		pts := time.Duration(i) * time.Second / 15
		sei := []byte{6, 5, byte(i)}
		v := &Frame{Codec: H264, Seq: uint64(i), PTS: pts, DTS: pts, Key: i%15 == 0, Capture: t0.Add(pts)}
		if v.Key {
			v.NALUs = [][]byte{sps, pps, sei, idr}
		} else {
			v.NALUs = [][]byte{sei, p, p[:100]}
		}
		a := &Frame{Codec: AAC, Seq: uint64(i), PTS: pts, DTS: pts, Key: true, Payload: aac, Capture: t0.Add(pts)}
		cam = append(cam, v, a)
	}
	var bframes []*Frame
	for i := range 10 {
		pts := time.Duration(i) * 40 * time.Millisecond
		dts := pts
		if i >= 4 {
			dts = pts - 80*time.Millisecond
		}
		bframes = append(bframes, &Frame{Codec: H265, Seq: uint64(i), PTS: pts, DTS: dts, NALUs: [][]byte{p}})
	}
	// a stream restarted mid-list: PTS from 0 again, another origin
	var restart []*Frame
	for i := range 12 {
		origin, pts := t0, time.Duration(i)*time.Second/15
		if i >= 5 {
			origin, pts = t0.Add(time.Hour), time.Duration(i-5)*time.Second/15
		}
		restart = append(restart, &Frame{Codec: H264, Seq: uint64(i), PTS: pts, DTS: pts, NALUs: [][]byte{p}, Capture: origin.Add(pts)})
	}
	restart = append(restart, &Frame{Codec: H264, Seq: 12, NALUs: [][]byte{p}, Capture: t0.Add(time.Second / 15)})
	// unit lists around the size of a page of references
	var pages []*Frame
	for i, n := range []int{0, 300, 0, 5, 250, 6, 256, 1, 0, 257, 70000, 3} {
		f := &Frame{Codec: H265, Seq: uint64(i)}
		for k := range n {
			f.NALUs = append(f.NALUs, p[k%7:])
		}
		pages = append(pages, f)
	}
	return map[string][]*Frame{
		"camera":  cam,
		"pages":   pages,
		"restart": restart,
		"bframes": bframes,
		"odd": {
			{Codec: PCMA, Seq: 1 << 40, Payload: []byte{}},
			{Codec: CodecUnknown},
			{Codec: H264, NALUs: [][]byte{}, Payload: aac, Capture: time.Unix(0, 0)},
		},
		"empty": nil,
	}
}

func TestPackedRoundTrip(t *testing.T) {
	for name, frames := range packedVectors() {
		t.Run(name, func(t *testing.T) {
			var p Packed
			for _, f := range frames {
				p.Append(f)
			}
			if p.Len() != len(frames) {
				t.Fatalf("Len %d, want %d", p.Len(), len(frames))
			}
			var scratch Frame
			for i, want := range frames {
				same(t, i, p.At(i, &scratch), want)
				if p.Size(i) != want.Size() {
					t.Fatalf("Size(%d) = %d, want %d", i, p.Size(i), want.Size())
				}
				h := p.Head(i)
				if h.NALUs != nil || h.Payload != nil || h.Seq != want.Seq || h.Key != want.Key {
					t.Fatalf("Head(%d) = %+v", i, h)
				}
				r := Frame{NALUs: [][]byte{{1}}, Payload: []byte{2}}
				p.ReadHead(i, &r)
				if r.Seq != h.Seq || r.PTS != h.PTS || r.DTS != h.DTS || r.Codec != h.Codec || r.Key != h.Key ||
					!r.Capture.Equal(h.Capture) || len(r.NALUs) != 1 || len(r.Payload) != 1 {
					t.Fatalf("ReadHead(%d) = %+v, Head %+v", i, r, h)
				}
			}
		})
	}
}

// TestPackedInterns checks that a unit shared by many frames is held once
// and a frame's own units each once.
func TestPackedInterns(t *testing.T) {
	var p Packed
	for _, f := range packedVectors()["camera"] {
		p.Append(f)
	}
	refs, distinct := p.Units()
	// idr, p, p[:100], aac held by reference; sps, pps and 40 SEIs copied
	if refs != 3*4+37*3+40 || distinct != 4 {
		t.Fatalf("units: %d refs, %d distinct; want %d, %d", refs, distinct, 3*4+37*3+40, 4)
	}
}

// TestPackedDict: with a Dict of the shared units, a camera's frames keep
// no unit of their own but their SEIs (in the arena), and read back the
// Dict's slices themselves.
func TestPackedDict(t *testing.T) {
	frames := packedVectors()["camera"]
	var shared [][]byte
	for _, f := range frames[:4] { // a key frame, an audio frame, a P frame
		shared = append(shared, f.NALUs...)
		if f.Payload != nil {
			shared = append(shared, f.Payload)
		}
	}
	d := NewDict(shared)
	if d.Len() != 6+2 { // sps, pps, idr, p, p[:100], aac + the first two SEIs
		t.Fatalf("Dict of %d units", d.Len())
	}
	p := NewPacked(d)
	for _, f := range frames {
		p.Append(f)
	}
	if _, distinct := p.Units(); distinct != 0 {
		t.Fatalf("%d units held outside the Dict", distinct)
	}
	var scratch Frame
	for i, want := range frames {
		got := p.At(i, &scratch)
		same(t, i, got, want)
		for k, u := range want.NALUs {
			if _, ok := d.lookup(u); ok && &got.NALUs[k][0] != &u[0] {
				t.Fatalf("frame %d unit %d: not the Dict's slice", i, k)
			}
		}
	}
}

// TestPackedRapid appends random frames drawn from a small pool of units
// (so that interning meets repeats, equal lengths with different arrays and
// sub-slices of one array) and reads every one back.
func TestPackedRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		backing := make([]byte, 4*SmallUnit)
		for i := range backing {
			backing[i] = byte(i)
		}
		pool := [][]byte{backing[:8], backing[1:9], backing[:SmallUnit], backing[:SmallUnit+1], backing[:SmallUnit+2],
			backing[SmallUnit+1 : 3*SmallUnit], make([]byte, 2*SmallUnit), {}, nil}
		pick := rapid.IntRange(0, len(pool)-1)
		var d *Dict
		if rapid.Bool().Draw(t, "dict") {
			d = NewDict(pool[:rapid.IntRange(0, len(pool)).Draw(t, "shared")])
		}
		var pp *PackedPool
		if rapid.Bool().Draw(t, "pooled") {
			// blocks come back with another Packed's records, references
			// and small units in them, which must never show
			pp = NewPackedPool()
			dirty := NewPackedFrom(nil, pp)
			junk := bytes.Repeat([]byte{0xEE}, SmallUnit)
			for i := range rapid.IntRange(0, 300).Draw(t, "dirty") {
				dirty.Append(&Frame{Codec: H264, Key: true, Seq: uint64(i), PTS: -1, DTS: -2, Capture: time.Unix(7, 7),
					NALUs: [][]byte{junk[:i%SmallUnit], junk[:1], junk}, Payload: junk[:3]})
			}
			dirty.Release()
			if dirty.Len() != 0 {
				t.Fatalf("a released Packed has %d frames", dirty.Len())
			}
		}
		p := NewPackedFrom(d, pp)
		var frames []*Frame
		n := rapid.IntRange(0, 300).Draw(t, "frames")
		for i := range n {
			f := &Frame{Codec: Codec(rapid.IntRange(0, 5).Draw(t, "codec")), Key: rapid.Bool().Draw(t, "key"),
				Seq: rapid.Uint64().Draw(t, "seq"), PTS: time.Duration(rapid.Int64().Draw(t, "pts"))}
			f.DTS = f.PTS
			if rapid.IntRange(0, 9).Draw(t, "b") == 0 {
				f.DTS -= time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "dts"))
			}
			if rapid.Bool().Draw(t, "captured") {
				f.Capture = time.Unix(0, rapid.Int64().Draw(t, "capture"))
			}
			for range rapid.IntRange(0, 40).Draw(t, "nalus") {
				f.NALUs = append(f.NALUs, pool[pick.Draw(t, "unit")])
			}
			if rapid.Bool().Draw(t, "audio") {
				f.Payload = pool[pick.Draw(t, "payload")]
			}
			p.Append(f)
			frames = append(frames, f)
			if i%7 == 0 { // reading between appends
				var s Frame
				same(t, i, p.At(i, &s), f)
			}
			if rapid.IntRange(0, 30).Draw(t, "seal") == 0 {
				p.Seal()
			}
		}
		scratch := Frame{NALUs: make([][]byte, 0, 4)}
		for i, want := range frames {
			same(t, i, p.At(i, &scratch), want)
		}
		if _, distinct := p.Units(); distinct > len(pool)+1 {
			t.Fatalf("%d distinct units from a pool of %d", distinct, len(pool))
		}
		// released, it is empty and can be filled again
		p.Release()
		if p.Len() != 0 {
			t.Fatalf("a released Packed has %d frames", p.Len())
		}
		if len(frames) > 0 {
			p.Append(frames[0])
			var s Frame
			same(t, 0, p.At(0, &s), frames[0])
		}
	})
}

// TestPackedPoolRecycles: a Packed from a pool takes its blocks of
// records, references and small units from the blocks released to it, so
// filling a slice's Packed allocates only what is not a fixed block.
func TestPackedPoolRecycles(t *testing.T) {
	frames := packedVectors()["camera"]
	fill := func(p *Packed) {
		for _, f := range frames {
			p.Append(f)
		}
		var s Frame
		for i, f := range frames {
			same(t, i, p.At(i, &s), f)
		}
	}
	unpooled := testing.AllocsPerRun(50, func() { p := NewPacked(nil); fill(p); p.Release() })
	pool := NewPackedPool()
	pooled := testing.AllocsPerRun(50, func() { p := NewPackedFrom(nil, pool); fill(p); p.Release() })
	// a block of records, a page of references and an arena block each
	// come back (the race detector's pools drop some of what they are given)
	if pooled > unpooled-2 {
		t.Fatalf("a pooled Packed makes %v allocations, an unpooled one %v", pooled, unpooled)
	}
}

func TestPackedRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(packedFrame{}); n != 24 {
		t.Fatalf("a frame record is %d bytes", n)
	}
}

func TestPackedNoAllocs(t *testing.T) {
	frames := packedVectors()["camera"]
	var p Packed
	for _, f := range frames {
		p.Append(f)
	}
	scratch := Frame{NALUs: make([][]byte, 0, 8)}
	if n := testing.AllocsPerRun(100, func() {
		for i := range p.Len() {
			p.At(i, &scratch)
		}
	}); n != 0 {
		t.Fatalf("At: %v allocs", n)
	}
	// A block of records, the growth of the units, their references and
	// the table: a few allocations per block of frames.
	q := Packed{}
	q.Append(frames[0])
	i := 1
	if n := testing.AllocsPerRun(len(frames)-2, func() { q.Append(frames[i]); i++ }); n > 0.25 {
		t.Fatalf("Append: %v allocs per frame", n)
	}
}

func BenchmarkPacked(b *testing.B) {
	frames := packedVectors()["camera"]
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N { // a fresh Packed per 80 frames, as a recorder's slice
			var p Packed
			for _, f := range frames {
				p.Append(f)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	})
	b.Run("append-pooled", func(b *testing.B) {
		b.ReportAllocs()
		pool := NewPackedPool()
		for range b.N { // released at the slice's fate
			p := NewPackedFrom(nil, pool)
			for _, f := range frames {
				p.Append(f)
			}
			p.Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	})
	b.Run("at", func(b *testing.B) {
		b.ReportAllocs()
		var p Packed
		for _, f := range frames {
			p.Append(f)
		}
		scratch := Frame{NALUs: make([][]byte, 0, 8)}
		for range b.N {
			for i := range p.Len() {
				p.At(i, &scratch)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	})
}
