package memnet

import (
	"context"
	"io"
	"testing"
)

func TestStats(t *testing.T) {
	n := New(Options{BufferSize: 32 << 10})
	defer n.Close()
	l, err := n.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Dial(context.Background(), "tcp", "127.0.0.1:1"); err == nil {
		t.Fatal("dial to nobody succeeded")
	}
	c, err := n.Dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Stats(); got.WriteWaits != 0 {
		t.Fatalf("waits before any write: %+v", got)
	}
	wr := goErr(func() error { _, err := c.Write(make([]byte, 100<<10)); c.Close(); return err })
	if got, err := io.Copy(io.Discard, s); got != 100<<10 || err != nil {
		t.Fatalf("read %d, %v", got, err)
	}
	if err := waitErr(t, wr); err != nil {
		t.Fatal(err)
	}
	s.Close()
	got := n.Stats()
	if got.Dials != 1 || got.Refused != 1 || got.WriteWaits < 3 {
		t.Fatalf("stats %+v: want 1 dial, 1 refused, ≥ 3 waits (100 KiB through 32 KiB)", got)
	}
}
