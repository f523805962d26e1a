package chunk

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// split cuts p into parts of at most size bytes, with an empty part at
// each end and in the middle (parts may be empty).
func split(p []byte, size int) [][]byte {
	parts := [][]byte{{}}
	for len(p) > 0 {
		n := min(len(p), size)
		parts = append(parts, p[:n], nil)
		p = p[n:]
	}
	return parts
}

// TestWriterAppendParts: a payload given in parts, whatever the cuts, is
// encoded as Append encodes the whole payload (the vectors' wire), pooled
// or not.
func TestWriterAppendParts(t *testing.T) {
	for _, size := range []int{1, 3, 127, 128, 129, 4096, 1 << 20} {
		for _, pooled := range []bool{false, true} {
			for _, v := range chunkVectors {
				if v.decodeOnly {
					continue
				}
				var out bytes.Buffer
				w := NewWriter(&out)
				if pooled {
					w.UsePool(NewBufferPool())
				}
				_ = w.SetChunkSize(v.initialChunkSize())
				for i := range v.msgs {
					m := v.msgs[i]
					var err error
					if m.Type == TypeSetChunkSize {
						err = w.AppendSetChunkSize(binary.BigEndian.Uint32(m.Payload))
					} else {
						parts := split(m.Payload, size)
						m.Payload = nil
						err = w.AppendParts(&m, parts)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), v.wire) {
					t.Errorf("parts of %d, pooled %v, %s: wire\n got % x\nwant % x", size, pooled, v.name, head(out.Bytes()), head(v.wire))
				}
			}
		}
	}
	w := NewWriter(io.Discard)
	if err := w.AppendParts(&Message{CSID: 6, Type: TypeVideo}, [][]byte{make([]byte, MaxMessageLength), {1}}); err == nil {
		t.Error("parts over MaxMessageLength accepted")
	}
	if w.Buffered() != 0 {
		t.Error("a refused message left bytes")
	}
	if raceEnabled {
		return // allocation counts are meaningless under the race detector
	}
	w.UsePool(NewBufferPool())
	parts := split(p5000, 700)
	m := Message{CSID: 6, Type: TypeVideo, StreamID: 1}
	allocs := testing.AllocsPerRun(100, func() {
		m.Timestamp += 66
		if err := w.AppendParts(&m, parts); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allocs per pooled AppendParts = %v", allocs)
	}
}
