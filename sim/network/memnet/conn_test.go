package memnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// letBlock gives a goroutine time to reach its blocking call. It only
// widens what a test exercises: the expected outcome is the same whether
// the call blocked first or not.
func letBlock() { time.Sleep(20 * time.Millisecond) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && errors.Is(err, os.ErrDeadlineExceeded)
}

func isPeerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// conformance is the table every stack must pass: client c, server s.
var conformance = []struct {
	name string
	run  func(t *testing.T, st stack, c, s net.Conn)
}{
	{"ping-pong", func(t *testing.T, st stack, c, s net.Conn) {
		echo := goErr(func() error {
			buf := make([]byte, 64)
			for {
				n, err := s.Read(buf)
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if _, err := s.Write(buf[:n]); err != nil {
					return err
				}
			}
		})
		buf := make([]byte, 64)
		for i := range 1000 {
			msg := fmt.Appendf(nil, "ping %d", i)
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf[:len(msg)], msg) {
				t.Fatalf("round %d: got %q", i, buf[:len(msg)])
			}
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		if err := waitErr(t, echo); err != nil {
			t.Fatal(err)
		}
	}},
	{"10MB transfer with checksum", func(t *testing.T, st stack, c, s net.Conn) {
		const total = 10 << 20
		rnd := rand.New(rand.NewPCG(1, 2))
		data := make([]byte, total)
		for i := range data {
			data[i] = byte(rnd.Uint32())
		}
		want := sha256.Sum256(data)
		wr := goErr(func() error {
			r := rand.New(rand.NewPCG(3, 4))
			for p := data; len(p) > 0; {
				k := min(len(p), 1+r.IntN(100<<10))
				if n, err := c.Write(p[:k]); err != nil || n != k {
					return fmt.Errorf("write %d: %d, %v", k, n, err)
				}
				p = p[k:]
			}
			return c.Close()
		})
		h := sha256.New()
		r := rand.New(rand.NewPCG(5, 6))
		buf := make([]byte, 128<<10)
		got := 0
		for {
			n, err := s.Read(buf[:1+r.IntN(len(buf))])
			h.Write(buf[:n])
			got += n
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := waitErr(t, wr); err != nil {
			t.Fatal(err)
		}
		if got != total || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatalf("got %d bytes, checksum match %v", got, bytes.Equal(h.Sum(nil), want[:]))
		}
	}},
	{"concurrent writers do not interleave", func(t *testing.T, st stack, c, s net.Conn) {
		const writers, records, size = 8, 500, 3000
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := make([]byte, size)
				for i := range records {
					binary.BigEndian.PutUint32(rec[0:], uint32(w))
					binary.BigEndian.PutUint32(rec[4:], uint32(i))
					for j := 8; j < size; j++ {
						rec[j] = byte(w*31 + i + j)
					}
					if _, err := c.Write(rec); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		go func() { wg.Wait(); c.Close(); close(errs) }()
		next := make([]int, writers)
		rec := make([]byte, size)
		for n := 0; n < writers*records; n++ {
			if _, err := io.ReadFull(s, rec); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
			w, i := int(binary.BigEndian.Uint32(rec)), int(binary.BigEndian.Uint32(rec[4:]))
			if w >= writers || i != next[w] {
				t.Fatalf("record %d: writer %d seq %d, want seq %d", n, w, i, next[w])
			}
			for j := 8; j < size; j++ {
				if rec[j] != byte(w*31+i+j) {
					t.Fatalf("record %d (writer %d seq %d) torn at byte %d", n, w, i, j)
				}
			}
			next[w]++
		}
		for err := range errs {
			t.Fatal(err)
		}
		if n, err := s.Read(rec); n != 0 || err != io.EOF {
			t.Fatalf("after all records: %d, %v; want EOF", n, err)
		}
	}},
	{"backpressure: a write blocks until the peer reads", func(t *testing.T, st stack, c, s net.Conn) {
		big := make([]byte, 64<<20)
		c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Write(big)
		if !isTimeout(err) {
			t.Fatalf("write into a peer that does not read: %d, %v; want a timeout", n, err)
		}
		if n >= len(big) {
			t.Fatalf("wrote %d, all of it", n)
		}
		if st.memory && n != st.buffer {
			t.Fatalf("wrote %d before blocking; want the buffer bound %d", n, st.buffer)
		}
		c.SetWriteDeadline(time.Time{})
		c.Close()
		got, err := io.Copy(io.Discard, s)
		if err != nil || got != int64(n) {
			t.Fatalf("peer read %d, %v; want %d", got, err, n)
		}
	}},
	{"backpressure: the blocked writer resumes when the peer reads", func(t *testing.T, st stack, c, s net.Conn) {
		const total = 8 << 20
		wr := goErr(func() error {
			_, err := c.Write(make([]byte, total))
			c.Close()
			return err
		})
		letBlock()
		got, err := io.Copy(io.Discard, s)
		if err != nil || got != total {
			t.Fatalf("read %d, %v", got, err)
		}
		if err := waitErr(t, wr); err != nil {
			t.Fatal(err)
		}
	}},
	{"read deadline in the past", func(t *testing.T, st stack, c, s net.Conn) {
		s.Write([]byte("x"))
		c.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("read: %v; want a timeout", err)
		}
		c.SetReadDeadline(time.Time{})
		if n, err := c.Read(make([]byte, 1)); n != 1 || err != nil {
			t.Fatalf("read after clearing the deadline: %d, %v", n, err)
		}
	}},
	{"read deadline passes while blocked", func(t *testing.T, st stack, c, s net.Conn) {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("read: %v; want a timeout", err)
		}
	}},
	{"read deadline set while blocked", func(t *testing.T, st stack, c, s net.Conn) {
		rd := goErr(func() error { _, err := c.Read(make([]byte, 1)); return err })
		letBlock()
		c.SetReadDeadline(time.Now().Add(-time.Second))
		if err := waitErr(t, rd); !isTimeout(err) {
			t.Fatalf("read: %v; want a timeout", err)
		}
	}},
	{"read and write deadlines set at any moment of a blocking call", func(t *testing.T, st stack, c, s net.Conn) {
		big := make([]byte, 64<<20)
		for i := range 300 {
			c.SetDeadline(time.Time{})
			rd := goErr(func() error { _, err := c.Read(make([]byte, 1)); return err })
			wr := goErr(func() error { _, err := c.Write(big); return err })
			if i%2 == 1 {
				runtime.Gosched()
			}
			c.SetDeadline(time.Now().Add(-time.Second))
			if err := waitErr(t, rd); !isTimeout(err) {
				t.Fatalf("round %d: read: %v; want a timeout", i, err)
			}
			if err := waitErr(t, wr); !isTimeout(err) {
				t.Fatalf("round %d: write: %v; want a timeout", i, err)
			}
		}
	}},
	{"read deadline moved later while blocked", func(t *testing.T, st stack, c, s net.Conn) {
		c.SetReadDeadline(time.Now().Add(time.Hour))
		rd := goErr(func() error {
			buf := make([]byte, 1)
			if _, err := c.Read(buf); err != nil {
				return err
			}
			if buf[0] != 'y' {
				return fmt.Errorf("read %q", buf)
			}
			return nil
		})
		letBlock()
		c.SetReadDeadline(time.Now().Add(2 * time.Hour))
		c.SetReadDeadline(time.Time{})
		s.Write([]byte("y"))
		if err := waitErr(t, rd); err != nil {
			t.Fatal(err)
		}
	}},
	{"write deadline in the past", func(t *testing.T, st stack, c, s net.Conn) {
		c.SetWriteDeadline(time.Now().Add(-time.Second))
		if _, err := c.Write([]byte("x")); !isTimeout(err) {
			t.Fatalf("write: %v; want a timeout", err)
		}
		c.SetWriteDeadline(time.Time{})
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}},
	{"write deadline set while blocked", func(t *testing.T, st stack, c, s net.Conn) {
		wr := goErr(func() error { _, err := c.Write(make([]byte, 64<<20)); return err })
		letBlock()
		c.SetWriteDeadline(time.Now().Add(-time.Second))
		if err := waitErr(t, wr); !isTimeout(err) {
			t.Fatalf("write: %v; want a timeout", err)
		}
	}},
	{"SetDeadline sets both", func(t *testing.T, st stack, c, s net.Conn) {
		c.SetDeadline(time.Now().Add(-time.Second))
		if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
			t.Fatalf("read: %v", err)
		}
		if _, err := c.Write([]byte("x")); !isTimeout(err) {
			t.Fatalf("write: %v", err)
		}
	}},
	{"close: peer reads the rest then EOF; local calls fail with ErrClosed", func(t *testing.T, st stack, c, s net.Conn) {
		c.Write([]byte("hello"))
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(s); string(b) != "hello" || err != nil {
			t.Fatalf("peer read %q, %v", b, err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("local read: %v", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("local write: %v", err)
		}
		if err := c.Close(); err == nil {
			t.Fatal("second Close succeeded")
		}
	}},
	{"close wakes a blocked local reader and the peer's reader", func(t *testing.T, st stack, c, s net.Conn) {
		local := goErr(func() error { _, err := c.Read(make([]byte, 1)); return err })
		peer := goErr(func() error { _, err := s.Read(make([]byte, 1)); return err })
		letBlock()
		c.Close()
		if err := waitErr(t, local); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("local reader: %v", err)
		}
		if err := waitErr(t, peer); err != io.EOF {
			t.Fatalf("peer reader: %v", err)
		}
	}},
	{"close wakes a blocked local writer", func(t *testing.T, st stack, c, s net.Conn) {
		wr := goErr(func() error { _, err := c.Write(make([]byte, 64<<20)); return err })
		letBlock()
		c.Close()
		if err := waitErr(t, wr); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("writer: %v", err)
		}
	}},
	{"close wakes the peer's blocked writer with EPIPE/ECONNRESET", func(t *testing.T, st stack, c, s net.Conn) {
		wr := goErr(func() error { _, err := s.Write(make([]byte, 64<<20)); return err })
		letBlock()
		c.Close()
		if err := waitErr(t, wr); !isPeerGone(err) {
			t.Fatalf("peer writer: %v", err)
		}
	}},
	{"write to a closed peer fails with EPIPE/ECONNRESET", func(t *testing.T, st stack, c, s net.Conn) {
		c.Close()
		var err error
		// the kernel takes the first write before the peer's reset arrives
		for i := 0; i < 100 && err == nil; i++ {
			_, err = s.Write([]byte("x"))
			if err == nil {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if !isPeerGone(err) {
			t.Fatalf("write: %v", err)
		}
	}},
	{"CloseWrite from the client: server reads EOF and still writes", func(t *testing.T, st stack, c, s net.Conn) {
		halfClose(t, c, s)
	}},
	{"CloseWrite from the server: client reads EOF and still writes", func(t *testing.T, st stack, c, s net.Conn) {
		halfClose(t, s, c)
	}},
	{"CloseRead: local reads see EOF, the peer's writes are taken", func(t *testing.T, st stack, c, s net.Conn) {
		c.(interface{ CloseRead() error }).CloseRead()
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read after CloseRead: %v", err)
		}
		if _, err := s.Write([]byte("x")); err != nil {
			t.Fatalf("peer write: %v", err)
		}
		c.Write([]byte("z"))
		buf := make([]byte, 1)
		if _, err := io.ReadFull(s, buf); err != nil || buf[0] != 'z' {
			t.Fatalf("the other direction: %q, %v", buf, err)
		}
	}},
	{"CloseRead wakes a blocked local reader", func(t *testing.T, st stack, c, s net.Conn) {
		rd := goErr(func() error { _, err := c.Read(make([]byte, 1)); return err })
		letBlock()
		c.(interface{ CloseRead() error }).CloseRead()
		if err := waitErr(t, rd); err != io.EOF {
			t.Fatalf("reader: %v", err)
		}
	}},
	{"zero-length read and write", func(t *testing.T, st stack, c, s net.Conn) {
		if n, err := c.Write(nil); n != 0 || err != nil {
			t.Fatalf("write: %d, %v", n, err)
		}
		if n, err := c.Read(nil); n != 0 || err != nil {
			t.Fatalf("read: %d, %v", n, err)
		}
	}},
	{"addresses", func(t *testing.T, st stack, c, s net.Conn) {
		if c.RemoteAddr().String() != s.LocalAddr().String() || s.RemoteAddr().String() != c.LocalAddr().String() {
			t.Fatalf("client %v→%v, server %v→%v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
		}
		for _, a := range []net.Addr{c.LocalAddr(), c.RemoteAddr()} {
			ta, ok := a.(*net.TCPAddr)
			if !ok || a.Network() != "tcp" || !ta.IP.Equal(net.IPv4(127, 0, 0, 1)) || ta.Port == 0 {
				t.Fatalf("address %#v", a)
			}
		}
	}},
}

func halfClose(t *testing.T, a, b net.Conn) {
	a.Write([]byte("request"))
	if err := a.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(b); string(got) != "request" || err != nil {
		t.Fatalf("read %q, %v", got, err)
	}
	if _, err := a.Write([]byte("more")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write after CloseWrite: %v", err)
	}
	if _, err := b.Write([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if got, err := io.ReadAll(a); string(got) != "reply" || err != nil {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestConformance(t *testing.T) {
	for _, st := range stacks(t) {
		for _, tc := range conformance {
			t.Run(st.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c, s := st.connPair(t)
				tc.run(t, st, c, s)
			})
		}
	}
}

func TestListenerConformance(t *testing.T) {
	for _, st := range stacks(t) {
		t.Run(st.name+"/dial refused", func(t *testing.T) {
			l := st.listen(t)
			addr := l.Addr().String()
			l.Close()
			_, err := st.dial(context.Background(), addr)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial: %v", err)
			}
		})
		t.Run(st.name+"/close wakes Accept", func(t *testing.T) {
			l := st.listen(t)
			acc := goErr(func() error { _, err := l.Accept(); return err })
			letBlock()
			l.Close()
			if err := waitErr(t, acc); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("accept: %v", err)
			}
			if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("accept after close: %v", err)
			}
		})
		t.Run(st.name+"/dial honours a cancelled context", func(t *testing.T) {
			l := st.listen(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := st.dial(ctx, l.Addr().String()); !errors.Is(err, context.Canceled) {
				t.Fatalf("dial: %v", err)
			}
		})
	}
}

func TestListenAddresses(t *testing.T) {
	n := New(Options{})
	defer n.Close()
	l, err := n.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	ta := l.Addr().(*net.TCPAddr)
	if ta.Port == 0 || l.Addr().String() != fmt.Sprintf("127.0.0.1:%d", ta.Port) {
		t.Fatalf("Addr %v", l.Addr())
	}
	if _, err := n.Listen("tcp", l.Addr().String()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listen on a taken port: %v", err)
	}
	fixed, err := n.Listen("tcp4", "localhost:1935")
	if err != nil || fixed.Addr().String() != "127.0.0.1:1935" {
		t.Fatalf("listen on a fixed port: %v, %v", fixed, err)
	}
	for _, bad := range []struct{ network, addr string }{{"udp", ":0"}, {"tcp", "nocolon"}, {"tcp", ":99999"}, {"tcp", ":x"}} {
		if _, err := n.Listen(bad.network, bad.addr); err == nil {
			t.Errorf("Listen(%q, %q) succeeded", bad.network, bad.addr)
		}
		if _, err := n.Dial(context.Background(), bad.network, bad.addr); err == nil {
			t.Errorf("Dial(%q, %q) succeeded", bad.network, bad.addr)
		}
	}
	// any host names the one host
	acc := goErr(func() error {
		c, err := fixed.Accept()
		if err == nil {
			c.Close()
		}
		return err
	})
	c, err := n.Dial(context.Background(), "tcp", "[::1]:1935")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := waitErr(t, acc); err != nil {
		t.Fatal(err)
	}
	n.Close()
	if _, err := n.Listen("tcp", ":0"); !errors.Is(err, ErrNetworkClosed) {
		t.Fatalf("listen after Close: %v", err)
	}
	if _, err := fixed.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("accept after the network closed: %v", err)
	}
}

// A full backlog holds dials; closing the listener refuses them and resets
// the connections nobody accepted.
func TestPendingDialsRefusedAtListenerClose(t *testing.T) {
	n := New(Options{Backlog: 1})
	defer n.Close()
	l, err := n.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	queued, err := n.Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer queued.Close()
	pending := goErr(func() error { _, err := n.Dial(context.Background(), "tcp", l.Addr().String()); return err })
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := goErr(func() error { _, err := n.Dial(ctx, "tcp", l.Addr().String()); return err })
	letBlock()
	cancel()
	if err := waitErr(t, cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled dial: %v", err)
	}
	l.Close()
	if err := waitErr(t, pending); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("pending dial: %v", err)
	}
	if _, err := queued.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read on a connection never accepted: %v", err)
	}
}

func TestSetLingerZeroResets(t *testing.T) {
	n := New(Options{})
	defer n.Close()
	st := stacks(t)[0]
	c, s := st.connPair(t)
	s.Write([]byte("unread"))
	s.(*Conn).SetLinger(0)
	s.Close()
	if _, err := c.Read(make([]byte, 8)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after the peer's reset: %v", err)
	}
}

// Buffers hold pooled chunks only while data waits: a drained connection
// holds none.
func TestDrainedConnectionHoldsNoChunks(t *testing.T) {
	st := stacks(t)[0]
	c, s := st.connPair(t)
	msg := make([]byte, 40<<10)
	c.Write(msg)
	q := c.(*Conn).wr
	q.mu.Lock()
	held := q.held()
	q.mu.Unlock()
	if want := (len(msg) + chunkSize - 1) / chunkSize; held != want {
		t.Fatalf("40 KiB buffered in %d chunks, want %d", held, want)
	}
	io.ReadFull(s, msg)
	q.mu.Lock()
	held = q.held()
	q.mu.Unlock()
	if held != 0 {
		t.Fatalf("drained pipe holds %d chunks", held)
	}
}
