package memnet

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestWriteHandoff: handed-over bytes arrive as written, and the buffer is
// released exactly once, only when the connection no longer holds any of
// it: after the peer read its last byte, when it is dropped, or at once
// when none of it was queued.
func TestWriteHandoff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		parts    int    // the buffer is handed over in this many parts
		before   string // "peer-closed", "closeread"
		deadline bool   // the write deadline passes while the buffer is full
		wantErr  error
		wantRead int // bytes the peer reads
	}{
		{name: "one part", size: 5000, parts: 1, wantRead: 5000},
		{name: "three parts", size: 9000, parts: 3, wantRead: 9000},
		{name: "larger than the buffer", size: 100 << 10, parts: 1, wantRead: 100 << 10},
		{name: "peer closed", size: 5000, parts: 1, before: "peer-closed", wantErr: syscall.EPIPE},
		{name: "peer shut reading", size: 5000, parts: 1, before: "closeread"},
		{name: "deadline with part queued", size: 100 << 10, parts: 1, deadline: true, wantErr: os.ErrDeadlineExceeded, wantRead: 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := stacks(t)[0] // 64 KiB per direction
			c, s := st.connPair(t)
			cc := c.(*Conn)
			buf := make([]byte, tc.size)
			for i := range buf {
				buf[i] = byte(i * 7)
			}
			want := append([]byte(nil), buf...)
			var released atomic.Int32
			release := func(b *[]byte) {
				if b != &buf {
					t.Errorf("released %p, want %p", b, &buf)
				}
				released.Add(1)
			}
			switch tc.before {
			case "peer-closed":
				s.Close()
			case "closeread":
				s.(*Conn).CloseRead()
			}
			if tc.deadline {
				cc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			}
			got := make(chan []byte, 1)
			wrote := make(chan struct{})
			if tc.before == "" {
				go func() {
					if tc.deadline { // read only after the write gave up
						<-wrote
						if n := released.Load(); n != 0 {
							t.Errorf("released %d times while part of the buffer is queued", n)
						}
					}
					b, _ := io.ReadAll(io.LimitReader(s, int64(tc.wantRead)))
					got <- b
				}()
			}
			var err error
			part := (tc.size + tc.parts - 1) / tc.parts
			for off := 0; off < tc.size && err == nil; off += part {
				end := min(off+part, tc.size)
				rel := release
				if end < tc.size {
					rel = nil
				}
				_, err = cc.WriteHandoff(buf[off:end], &buf, rel)
			}
			close(wrote)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("WriteHandoff: %v, want %v", err, tc.wantErr)
			}
			if tc.before == "" {
				b := <-got
				if !bytes.Equal(b, want[:tc.wantRead]) {
					t.Fatalf("read %d bytes, not the %d handed over", len(b), tc.wantRead)
				}
			}
			cc.Close()
			if n := released.Load(); n != 1 {
				t.Fatalf("released %d times, want once", n)
			}
		})
	}
}

// TestHandoffCoalesces: parts of one buffer handed over end to end are
// one piece of the queue (a link hands a buffer over a few segments per
// flush); a part that does not continue the last one, or of another
// buffer, is a piece of its own.
func TestHandoffCoalesces(t *testing.T) {
	st := stacks(t)[0]
	c, s := st.connPair(t)
	cc := c.(*Conn)
	a := make([]byte, 9000)
	b := make([]byte, 100)
	for i := range a {
		a[i] = byte(i)
	}
	released := 0
	rel := func(*[]byte) { released++ }
	cc.WriteHandoff(a[0:3000], &a, nil)
	cc.WriteHandoff(a[3000:6000], &a, nil)
	cc.WriteHandoff(a[7000:8000], &a, nil) // skips 6000..7000
	cc.WriteHandoff(a[8000:9000], &a, rel)
	cc.WriteHandoff(b, &b, rel)
	q := cc.wr
	q.mu.Lock()
	held := q.held()
	q.mu.Unlock()
	if held != 3 {
		t.Fatalf("%d pieces, want 3 (0..6000, 7000..9000, b)", held)
	}
	got := make([]byte, 8100)
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte(nil), a[:6000]...), a[7000:]...), b...)
	if !bytes.Equal(got, want) || released != 2 {
		t.Fatalf("read the bytes handed over: %v; released %d times, want 2", bytes.Equal(got, want), released)
	}
}
