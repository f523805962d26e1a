package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// stingyWriter takes at most take bytes per WriteSome (a socket whose
// send buffer has that much room each time), then fails after limit
// bytes in all when limit > 0.
type stingyWriter struct {
	out   bytes.Buffer
	take  int
	limit int
	calls int
}

var errStingy = errors.New("stingy: connection reset")

func (s *stingyWriter) WriteSome(p []byte) (int, error) {
	s.calls++
	n := min(len(p), s.take)
	if s.limit > 0 && s.out.Len()+n > s.limit {
		n = s.limit - s.out.Len()
		s.out.Write(p[:n])
		return n, errStingy
	}
	s.out.Write(p[:n])
	return n, nil
}

func (s *stingyWriter) Write(p []byte) (int, error) {
	s.out.Write(p)
	return len(p), nil
}

// TestWriterFlushSome: partial flushes put the same bytes on the wire as
// one Flush, in order, whatever the socket takes each time and whatever is
// appended between them; Flushed plus Buffered stays the stream offset; a
// pooled writer gives its buffer back once everything went.
func TestWriterFlushSome(t *testing.T) {
	for _, take := range []int{1, 7, 128, 1000, 5000, 1 << 20} {
		for _, pooled := range []bool{false, true} {
			for _, v := range chunkVectors {
				if v.decodeOnly {
					continue
				}
				var sw stingyWriter
				sw.take = take
				w := NewWriter(&sw)
				if pooled {
					w.UsePool(NewBufferPool())
				}
				_ = w.SetChunkSize(v.initialChunkSize())
				var appended uint64 // bytes encoded so far
				for i := range v.msgs {
					m := v.msgs[i]
					before := w.Buffered()
					var err error
					if m.Type == TypeSetChunkSize {
						err = w.AppendSetChunkSize(binary.BigEndian.Uint32(m.Payload))
					} else {
						err = w.Append(&m)
					}
					if err != nil {
						t.Fatal(err)
					}
					appended += uint64(w.Buffered() - before)
					// one attempt after each message: part of it may stay
					if _, err := w.FlushSome(&sw); err != nil {
						t.Fatal(err)
					}
					if got := w.Flushed() + uint64(w.Buffered()); got != appended {
						t.Fatalf("take %d %s: offset %d after message %d, encoded %d", take, v.name, got, i, appended)
					}
				}
				for {
					done, err := w.FlushSome(&sw)
					if err != nil {
						t.Fatal(err)
					}
					if done {
						break
					}
				}
				if !bytes.Equal(sw.out.Bytes(), v.wire) {
					t.Errorf("take %d pooled %v %s: wire\n got % x\nwant % x", take, pooled, v.name, head(sw.out.Bytes()), head(v.wire))
				}
				if w.Buffered() != 0 || w.Flushed() != uint64(len(v.wire)) {
					t.Errorf("take %d %s: buffered %d flushed %d after the last FlushSome", take, v.name, w.Buffered(), w.Flushed())
				}
				if pooled && (cap(w.buf) > smallBuffer || w.bufp != nil) {
					t.Errorf("take %d %s: pooled writer holds a buffer after flushing everything", take, v.name)
				}
			}
		}
	}
}

// TestWriterFlushSomeThenFlush: what a partial flush left goes out first
// with the next Flush, followed by what was appended after it.
func TestWriterFlushSomeThenFlush(t *testing.T) {
	var sw stingyWriter
	sw.take = 100
	w := NewWriter(&sw)
	w.UsePool(NewBufferPool())
	var want bytes.Buffer
	ref := NewWriter(&want)
	msgs := []Message{
		{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: p5000},
		{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 20, Payload: p10},
	}
	for _, x := range []*Writer{w, ref} {
		if err := x.Append(&msgs[0]); err != nil {
			t.Fatal(err)
		}
	}
	if done, err := w.FlushSome(&sw); done || err != nil {
		t.Fatalf("FlushSome of 5 kB through 100 bytes: done %v err %v", done, err)
	}
	for _, x := range []*Writer{w, ref} {
		if err := x.Append(&msgs[1]); err != nil {
			t.Fatal(err)
		}
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(sw.out.Bytes(), want.Bytes()) {
		t.Error("partial flush then Flush wrote different bytes")
	}
	if sw.calls != 1 || w.Flushed() != uint64(want.Len()) || w.Buffered() != 0 {
		t.Errorf("calls %d flushed %d buffered %d", sw.calls, w.Flushed(), w.Buffered())
	}
}

// TestWriterFlushSomeError: a failing partial write counts what the
// socket took, drops the rest and reports the error.
func TestWriterFlushSomeError(t *testing.T) {
	sw := stingyWriter{take: 1 << 20, limit: 300}
	w := NewWriter(&sw)
	w.UsePool(NewBufferPool())
	if err := w.Append(&Message{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: p5000}); err != nil {
		t.Fatal(err)
	}
	done, err := w.FlushSome(&sw)
	if done || !errors.Is(err, errStingy) {
		t.Fatalf("done %v err %v", done, err)
	}
	if w.Flushed() != 300 || w.Buffered() != 0 || w.bufp != nil {
		t.Errorf("flushed %d buffered %d (pooled buffer kept: %v)", w.Flushed(), w.Buffered(), w.bufp != nil)
	}
	// nothing buffered: done at once, the writer is not asked
	calls := sw.calls
	if done, err := w.FlushSome(&sw); !done || err != nil || sw.calls != calls {
		t.Errorf("empty FlushSome: done %v err %v calls %d→%d", done, err, calls, sw.calls)
	}
}
