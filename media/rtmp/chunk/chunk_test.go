package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriterVectors(t *testing.T) {
	for _, v := range chunkVectors {
		if v.decodeOnly {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			var out bytes.Buffer
			w := NewWriter(&out)
			if err := w.SetChunkSize(v.initialChunkSize()); err != nil {
				t.Fatal(err)
			}
			for i := range v.msgs {
				m := v.msgs[i]
				if m.Type == TypeSetChunkSize {
					if err := w.AppendSetChunkSize(binary.BigEndian.Uint32(m.Payload)); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := w.Append(&m); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), v.wire) {
				t.Errorf("wire\n got % x\nwant % x", head(out.Bytes()), head(v.wire))
			}
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 96 {
		return b[:96]
	}
	return b
}

func readAll(t testing.TB, wire []byte, chunkSize uint32) ([]Message, error) {
	r := NewReader(bytes.NewReader(wire), ReaderOptions{})
	if err := r.SetChunkSize(chunkSize); err != nil {
		t.Fatal(err)
	}
	var got []Message
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		c := *m
		c.Payload = append([]byte{}, m.Payload...)
		got = append(got, c)
	}
}

func TestReaderVectors(t *testing.T) {
	for _, v := range chunkVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := readAll(t, v.wire, v.initialChunkSize())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(v.msgs, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestReaderOneByteAtATime feeds every vector through a reader that returns
// one byte per Read, so every header and payload boundary is split.
func TestReaderOneByteAtATime(t *testing.T) {
	for _, v := range chunkVectors {
		r := NewReader(&oneByte{b: v.wire}, ReaderOptions{BufferSize: 16})
		_ = r.SetChunkSize(v.initialChunkSize())
		for i := range v.msgs {
			m, err := r.ReadMessage()
			if err != nil {
				t.Fatalf("%s: message %d: %v", v.name, i, err)
			}
			if !bytes.Equal(m.Payload, v.msgs[i].Payload) || m.Timestamp != v.msgs[i].Timestamp {
				t.Fatalf("%s: message %d differs", v.name, i)
			}
		}
		if _, err := r.ReadMessage(); err != io.EOF {
			t.Fatalf("%s: trailing: %v", v.name, err)
		}
		if r.BytesRead() != uint64(len(v.wire)) {
			t.Errorf("%s: BytesRead = %d, want %d", v.name, r.BytesRead(), len(v.wire))
		}
	}
}

type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		wire []byte
		opts ReaderOptions
		err  error
	}{
		{"fmt1 first on a stream", join(h1(4, 0, 1, TypeAudio), []byte{0}), ReaderOptions{}, ErrNoPreviousHeader},
		{"fmt3 first on a stream", join(h3(4), []byte{0}), ReaderOptions{}, ErrNoPreviousHeader},
		{"message too large", h0(6, 0, 0x100000, TypeVideo, 1), ReaderOptions{MaxMessageSize: 1000}, ErrMessageTooLarge},
		{"new header inside a message", join(h0(6, 0, 300, TypeVideo, 1), p300[:128], h0(6, 0, 10, TypeVideo, 1), p10), ReaderOptions{}, ErrInterrupted},
		{"set chunk size zero", join(h0(2, 0, 4, TypeSetChunkSize, 0), u32be(0)), ReaderOptions{}, ErrBadChunkSize},
		{"set chunk size short", join(h0(2, 0, 2, TypeSetChunkSize, 0), []byte{0, 1}), ReaderOptions{}, ErrBadChunkSize},
		{"too many chunk streams", join(h0(10, 0, 1, TypeAudio, 1), []byte{1}, h0(11, 0, 1, TypeAudio, 1), []byte{1}, h0(12, 0, 1, TypeAudio, 1), []byte{1}), ReaderOptions{MaxChunkStreams: 2}, ErrTooManyStreams},
		{"truncated header", h0(3, 0, 10, TypeCommandAMF0, 0)[:5], ReaderOptions{}, io.ErrUnexpectedEOF},
		{"truncated payload", join(h0(3, 0, 10, TypeCommandAMF0, 0), p10[:4]), ReaderOptions{}, io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.wire), tc.opts)
			var err error
			for err == nil {
				_, err = r.ReadMessage()
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
}

// TestRoundTripLargeMessagesAllChunkSizes writes and reads back messages
// across chunk sizes (with changes mid-stream up to 65536).
func TestRoundTripLargeMessagesAllChunkSizes(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	var want []Message
	ts := Timestamp(0)
	for _, cs := range []uint32{128, 1, 7, 4096, 60000, 65536, 129} {
		if err := w.AppendSetChunkSize(cs); err != nil {
			t.Fatal(err)
		}
		want = append(want, Message{CSID: 2, Type: TypeSetChunkSize, Payload: u32be(cs)})
		for _, n := range []int{0, 1, 127, 128, 129, 5000, 70000, 200000} {
			if cs < 128 && n > 5000 {
				continue // keeps the test quick; large messages are covered above 128
			}
			ts += 33
			m := Message{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: ts, Payload: pat(n, byte(n))}
			if err := w.Append(&m); err != nil {
				t.Fatal(err)
			}
			want = append(want, m)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, out.Bytes(), DefaultChunkSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.CSID != w.CSID || g.Type != w.Type || g.StreamID != w.StreamID || g.Timestamp != w.Timestamp || !bytes.Equal(g.Payload, w.Payload) {
			t.Fatalf("message %d: got %v %v %d ts %d len %d, want %v %v %d ts %d len %d", i,
				g.CSID, g.Type, g.StreamID, g.Timestamp, len(g.Payload), w.CSID, w.Type, w.StreamID, w.Timestamp, len(w.Payload))
		}
	}
}

type countWriter struct{ writes, bytes int }

func (c *countWriter) Write(p []byte) (int, error) { c.writes++; c.bytes += len(p); return len(p), nil }

// TestWriterOneWritePerMessage checks coalescing: a 100 kB message in
// 128-byte chunks is one Write; a batch of messages is one Write.
func TestWriterOneWritePerMessage(t *testing.T) {
	var c countWriter
	w := NewWriter(&c)
	if err := w.WriteMessage(&Message{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: make([]byte, 100000)}); err != nil {
		t.Fatal(err)
	}
	if c.writes != 1 {
		t.Errorf("writes = %d for one message, want 1", c.writes)
	}
	for i := range 10 {
		if err := w.Append(&Message{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: Timestamp(i * 64), Payload: p10}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if c.writes != 2 {
		t.Errorf("writes = %d after a batch, want 2", c.writes)
	}
}

func TestWriterRejects(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.Append(&Message{CSID: 1}); err == nil {
		t.Error("csid 1 accepted")
	}
	if err := w.Append(&Message{CSID: 65600}); err == nil {
		t.Error("csid 65600 accepted")
	}
	if err := w.Append(&Message{CSID: 3, Payload: make([]byte, MaxMessageLength+1)}); err == nil {
		t.Error("oversized message accepted")
	}
	if err := w.SetChunkSize(0); err == nil {
		t.Error("chunk size 0 accepted")
	}
}

// TestReaderNoAllocsSteadyState: once warmed up, reading messages does not
// allocate (pooled buffers, no per-chunk allocation).
func TestReaderNoAllocsSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	var out bytes.Buffer
	w := NewWriter(&out)
	for i := range 400 {
		_ = w.Append(&Message{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: Timestamp(i * 66), Payload: p5000})
		_ = w.Append(&Message{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: Timestamp(i * 66), Payload: p10})
	}
	_ = w.Flush()
	r := NewReader(bytes.NewReader(out.Bytes()), ReaderOptions{})
	for range 20 {
		if _, err := r.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(300, func() {
		if _, err := r.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allocs per message = %v, want 0", allocs)
	}
}

func FuzzReader(f *testing.F) {
	for _, v := range chunkVectors {
		f.Add(v.wire, uint16(v.initialChunkSize()))
	}
	f.Fuzz(func(t *testing.T, wire []byte, chunkSize uint16) {
		r := NewReader(bytes.NewReader(wire), ReaderOptions{MaxMessageSize: 1 << 16, MaxChunkStreams: 8})
		if err := r.SetChunkSize(uint32(chunkSize)); err != nil {
			return
		}
		for range 1000 {
			m, err := r.ReadMessage()
			if err != nil {
				return
			}
			if len(m.Payload) > 1<<16 {
				t.Fatalf("message of %d bytes beyond the limit", len(m.Payload))
			}
		}
	})
}

func BenchmarkWriteVideoMessage(b *testing.B) {
	w := NewWriter(io.Discard)
	_ = w.SetChunkSize(4096)
	m := Message{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: pat(4300, 1)}
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Payload)))
	for b.Loop() {
		m.Timestamp += 66
		if err := w.WriteMessage(&m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadVideoMessage(b *testing.B) {
	var out bytes.Buffer
	w := NewWriter(&out)
	_ = w.SetChunkSize(4096)
	for i := range 1000 {
		_ = w.Append(&Message{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: Timestamp(i * 66), Payload: pat(4300, 1)})
	}
	_ = w.Flush()
	wire := out.Bytes()
	br := bytes.NewReader(wire)
	r := NewReader(br, ReaderOptions{})
	_ = r.SetChunkSize(4096)
	b.ReportAllocs()
	b.SetBytes(4300)
	for b.Loop() {
		if _, err := r.ReadMessage(); err != nil {
			br.Reset(wire)
			r = NewReader(br, ReaderOptions{})
			_ = r.SetChunkSize(4096)
		}
	}
}

// TestWriterPooled: a writer borrowing its buffer from a pool writes the
// same bytes, holds no buffer between flushes, and does not allocate in
// steady state.
func TestWriterPooled(t *testing.T) {
	pool := NewBufferPool()
	for _, v := range chunkVectors {
		if v.decodeOnly {
			continue
		}
		var plain, pooled bytes.Buffer
		wp, wq := NewWriter(&plain), NewWriter(&pooled)
		wq.UsePool(pool)
		for _, w := range []*Writer{wp, wq} {
			_ = w.SetChunkSize(v.initialChunkSize())
			for i := range v.msgs {
				m := v.msgs[i]
				var err error
				if m.Type == TypeSetChunkSize {
					err = w.AppendSetChunkSize(binary.BigEndian.Uint32(m.Payload))
				} else {
					err = w.WriteMessage(&m)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(plain.Bytes(), pooled.Bytes()) {
			t.Errorf("%s: pooled writer wrote different bytes", v.name)
		}
		if cap(wq.buf) > smallBuffer || wq.bufp != nil {
			t.Errorf("%s: pooled writer holds a buffer after flush", v.name)
		}
	}
	if raceEnabled {
		return // allocation counts are meaningless under the race detector
	}
	w := NewWriter(io.Discard)
	w.UsePool(pool)
	m := Message{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: p5000}
	_ = w.WriteMessage(&m)
	allocs := testing.AllocsPerRun(100, func() {
		m.Timestamp += 66
		if err := w.WriteMessage(&m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allocs per pooled write = %v", allocs)
	}
}

// TestReaderAllocationFollowsData: a peer announcing a 4 MiB message and
// sending 100 bytes costs the reader about the first buffer (64 KiB), not
// the announced size.
func TestReaderAllocationFollowsData(t *testing.T) {
	wire := join(h0(6, 0, 4<<20-1, TypeVideo, 1), make([]byte, 100))
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	r := NewReader(bytes.NewReader(wire), ReaderOptions{MaxMessageSize: 4 << 20})
	if _, err := r.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
	runtime.ReadMemStats(&ms1)
	if got := ms1.TotalAlloc - ms0.TotalAlloc; got > 100<<10 {
		t.Errorf("allocated %d bytes for 100 bytes of a 4 MiB message", got)
	}
}

// TestWriterPooledBatch: a pooled writer appending a batch that outgrows
// its resident buffer (audio, then a large video frame, then more audio)
// writes the same bytes as a plain writer, gives the buffer back after the
// flush and does not allocate in steady state.
func TestWriterPooledBatch(t *testing.T) {
	pool := NewBufferPool()
	batch := []Message{
		{CSID: 4, Type: TypeAudio, StreamID: 1, Payload: pat(100, 3)},
		{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: p5000},
		{CSID: 4, Type: TypeAudio, StreamID: 1, Payload: pat(100, 3)},
		{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: bytes.Repeat(p5000, 5)},
	}
	var plain, pooled bytes.Buffer
	wp, wq := NewWriter(&plain), NewWriter(&pooled)
	wq.UsePool(pool)
	send := func(w *Writer, lap int) {
		for i := range batch {
			m := batch[i]
			m.Timestamp = Timestamp(lap*66 + i)
			if err := w.Append(&m); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for lap := range 3 {
		send(wp, lap)
		send(wq, lap)
	}
	if !bytes.Equal(plain.Bytes(), pooled.Bytes()) {
		t.Error("pooled writer wrote different bytes")
	}
	if cap(wq.buf) > smallBuffer || wq.bufp != nil {
		t.Error("pooled writer holds a buffer after flush")
	}
	if raceEnabled {
		return // allocation counts are meaningless under the race detector
	}
	w := NewWriter(io.Discard)
	w.UsePool(pool)
	lap := 0
	send(w, lap)
	allocs := testing.AllocsPerRun(100, func() {
		lap++
		send(w, lap)
	})
	if allocs != 0 {
		t.Errorf("allocs per pooled batch = %v", allocs)
	}
}

// shortWriter accepts n bytes, then fails.
type shortWriter struct{ n int }

func (s *shortWriter) Write(p []byte) (int, error) {
	if len(p) <= s.n {
		s.n -= len(p)
		return len(p), nil
	}
	k := s.n
	s.n = 0
	return k, io.ErrShortWrite
}

// TestWriterFlushed: Flushed counts the bytes the underlying writer
// accepted, a failed write's partial progress included; Flushed plus
// Buffered is the offset of the next message.
func TestWriterFlushed(t *testing.T) {
	w := NewWriter(&shortWriter{n: 300})
	m := Message{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: pat(200, 1)}
	if err := w.WriteMessage(&m); err != nil {
		t.Fatal(err)
	}
	first := w.Flushed()
	if first == 0 || w.Buffered() != 0 {
		t.Fatalf("flushed %d, buffered %d after one message", first, w.Buffered())
	}
	if err := w.Append(&m); err != nil {
		t.Fatal(err)
	}
	if off := w.Flushed() + uint64(w.Buffered()); off <= first {
		t.Fatalf("offset %d after a second message, first ended at %d", off, first)
	}
	if err := w.Flush(); err == nil {
		t.Fatal("flush past the writer's limit succeeded")
	}
	if got := w.Flushed(); got != 300 {
		t.Errorf("flushed %d after a partial write, want 300", got)
	}
}
