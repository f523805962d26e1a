package memnet

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// TestReadLowWater: with a low-water mark a Read waits for min(mark,
// len(p), buffer size) bytes and then returns everything it can; EOF and
// the deadline end the wait early. The bytes before the Read are written
// first, so a Read that returned them without waiting would give fewer
// bytes than the case wants.
func TestReadLowWater(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lowat   int
		readLen int
		before  int    // bytes written before the Read starts (below its mark)
		after   int    // bytes written while it waits
		then    string // "", "closewrite", "deadline"
		want    int    // bytes the Read returns
		wantErr error
	}{
		{name: "waits for the mark, returns all", lowat: 10, readLen: 16, before: 4, after: 8, want: 12},
		{name: "a short buffer caps the mark", lowat: 10, readLen: 6, before: 4, after: 8, want: 6},
		{name: "the buffer size caps the mark", lowat: 1 << 20, readLen: 128 << 10, before: 4, after: 64<<10 + 100, want: 64 << 10},
		{name: "EOF returns what there is", lowat: 10, readLen: 16, before: 4, then: "closewrite", want: 4},
		{name: "the deadline ends the wait", lowat: 10, readLen: 16, before: 4, then: "deadline", wantErr: os.ErrDeadlineExceeded},
		{name: "default: any byte", lowat: 0, readLen: 16, before: 4, want: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := stacks(t)[0]
			c, s := st.connPair(t)
			sc := s.(*Conn)
			sc.SetReadLowWater(tc.lowat)
			c.Write(make([]byte, tc.before))
			type res struct {
				n   int
				err error
			}
			got := make(chan res, 1)
			go func() {
				n, err := s.Read(make([]byte, tc.readLen))
				got <- res{n, err}
			}()
			if tc.want != tc.before { // the Read must be waiting before more comes
				waitParked(t, sc)
			}
			written := make(chan error, 1)
			go func() { _, err := c.Write(make([]byte, tc.after)); written <- err }()
			switch tc.then {
			case "closewrite":
				<-written
				c.(*Conn).CloseWrite()
			case "deadline":
				<-written
				s.SetReadDeadline(time.Now().Add(-time.Second))
			}
			r := <-got
			if r.n != tc.want || !errors.Is(r.err, tc.wantErr) {
				t.Fatalf("Read = %d, %v; want %d, %v", r.n, r.err, tc.want, tc.wantErr)
			}
			if tc.then == "deadline" { // the data is still there
				s.SetReadDeadline(time.Time{})
				sc.SetReadLowWater(0)
				if n, err := s.Read(make([]byte, 16)); n != tc.before || err != nil {
					t.Fatalf("Read after the deadline = %d, %v; want %d", n, err, tc.before)
				}
			}
			if tc.then == "closewrite" {
				if _, err := s.Read(make([]byte, 16)); err != io.EOF {
					t.Fatalf("Read after the data = %v, want EOF", err)
				}
			}
		})
	}
}

// waitParked waits until c's Read is blocked for more data.
func waitParked(t *testing.T, c *Conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		q := c.rd
		q.mu.Lock()
		w := q.rwait
		q.mu.Unlock()
		if w {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Read never waited")
		}
		time.Sleep(time.Millisecond)
	}
}
