package memnet

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStream writes b.N messages of each size from one goroutine while
// another reads them: memnet against the kernel's loopback TCP.
func BenchmarkStream(b *testing.B) {
	for _, size := range []int{1448, 64 << 10} {
		for _, name := range []string{"memnet", "tcp"} {
			b.Run(name+"/"+strconv.Itoa(size), func(b *testing.B) {
				c, s := benchPair(b, name == "memnet")
				msg := make([]byte, size)
				done := make(chan error, 1)
				go func() {
					buf := make([]byte, 64<<10)
					for {
						if _, err := s.Read(buf); err != nil {
							if err == io.EOF {
								err = nil
							}
							done <- err
							return
						}
					}
				}()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := processCPU()
				for range b.N {
					if _, err := c.Write(msg); err != nil {
						b.Fatal(err)
					}
				}
				c.Close()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
				s.Close()
			})
		}
	}
}

// processCPU is the process's user+system CPU time: with both ends in one
// process it includes the kernel's share of loopback TCP.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchPair(b *testing.B, memory bool) (net.Conn, net.Conn) {
	listen, dial := net.Listen, (&net.Dialer{}).DialContext
	if memory {
		n := New(Options{})
		b.Cleanup(func() { n.Close() })
		listen, dial = n.Listen, n.Dial
	}
	l, err := listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	acc := make(chan net.Conn, 1)
	go func() { c, _ := l.Accept(); acc <- c }()
	c, err := dial(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	return c, <-acc
}

// BenchmarkStreamHandoff is BenchmarkStream's memnet case with the writer
// handing pooled buffers over (WriteHandoff) instead of having them
// copied, and the reader reading with a low-water mark of its buffer's
// size (a link flushing into the cloud's verifier).
func BenchmarkStreamHandoff(b *testing.B) {
	for _, size := range []int{1448, 64 << 10} {
		for _, lowat := range []bool{false, true} {
			name := strconv.Itoa(size)
			if lowat {
				name += "/lowat"
			}
			b.Run(name, func(b *testing.B) {
				c, s := benchPair(b, true)
				if lowat {
					s.(*Conn).SetReadLowWater(64 << 10)
				}
				pool := sync.Pool{New: func() any { p := make([]byte, size); return &p }}
				release := func(p *[]byte) { pool.Put(p) }
				done := make(chan error, 1)
				go func() {
					buf := make([]byte, 64<<10)
					for {
						if _, err := s.Read(buf); err != nil {
							if err == io.EOF {
								err = nil
							}
							done <- err
							return
						}
					}
				}()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := processCPU()
				cc := c.(*Conn)
				for range b.N {
					p := pool.Get().(*[]byte)
					if _, err := cc.WriteHandoff(*p, p, release); err != nil {
						b.Fatal(err)
					}
				}
				c.Close()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
				s.Close()
			})
		}
	}
}
