package cstorage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	msource "github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/rng"
)

// leasedSlice records 4 s of the quickstart source into a Packed from
// pool and cuts its TS as the SDK does with a fleet's pool: the content,
// its lease (held once, by the slice) and the TS bytes as muxed before
// anything was released.
func leasedSlice(t *testing.T, pool *av.PackedPool) (*leasedContent, *av.Packed, []byte) {
	t.Helper()
	sh, ac := quickstart(t, av.H264)
	clk := clock.NewFake(clock.Epoch())
	p := av.NewPackedFrom(sh.Units(), pool)
	src := msource.New(sh, 7, clk, rng.New(1, "src"), msource.SinkFunc(func(f *av.Frame, _ time.Duration) { p.Append(f) }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src.Start(ctx)
	clk.Advance(4 * time.Second)
	src.Stop()
	p.Seal()
	mx, err := MediaMuxers(av.H264, ac, sh.FrameInterval())
	if err != nil {
		t.Fatal(err)
	}
	c, err := mx[cloudapi.FormatTS].(Cutter).CutSlice(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(c.Open())
	if err != nil || int64(len(want)) != c.Size() || len(want) == 0 {
		t.Fatalf("content of %d bytes read as %d: %v", c.Size(), len(want), err)
	}
	return &leasedContent{c: c, l: newLease(p)}, p, want
}

// TestLeaseHoldsFramesForReaders: a slice's frames go back to the pool
// when the slice has had its fate and the last reader of its content is
// closed, in either order; a reader reads the slice's bytes to the end
// after the fate, a closed reader and a reader opened after the release
// fail rather than read recycled blocks.
func TestLeaseHoldsFramesForReaders(t *testing.T) {
	for _, fateFirst := range []bool{true, false} {
		pool := av.NewPackedPool()
		lc, p, want := leasedSlice(t, pool)
		r := lc.Open()
		half := make([]byte, len(want)/2)
		if _, err := io.ReadFull(r, half); err != nil {
			t.Fatal(err)
		}
		r2 := lc.Open()
		if fateFirst {
			lc.l.drop() // the slice's fate (retire) while readers are open
		}
		rest, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(append(half, rest...), want) {
			t.Fatalf("fate first %v: a reader open at the fate read %d bytes (%v), want the slice's %d", fateFirst, len(half)+len(rest), err, len(want))
		}
		r.(io.Closer).Close()
		r2.(io.Closer).Close()
		if fateFirst != (p.Len() == 0) {
			t.Fatalf("fate first %v: after the readers closed the frames are released: %v", fateFirst, p.Len() == 0)
		}
		if !fateFirst {
			lc.l.drop()
		}
		if p.Len() != 0 {
			t.Fatalf("fate first %v: %d frames held after the fate and the last close", fateFirst, p.Len())
		}
		if _, err := r.Read(half); !errors.Is(err, errReaderClosed) {
			t.Fatalf("a closed reader read: %v", err)
		}
		if err := r.(io.Closer).Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if _, err := io.ReadAll(lc.Open()); !errors.Is(err, errSliceReleased) {
			t.Fatalf("a reader opened after the release: %v, want %v", err, errSliceReleased)
		}
	}
}

// TestLeaseCloseDuringRead: net/http may close a request body on one
// goroutine while another reads it. Reads racing a Close and the fate
// either give the slice's bytes in order or fail with errReaderClosed,
// and the frames are released once, after the last read (run with -race).
func TestLeaseCloseDuringRead(t *testing.T) {
	pool := av.NewPackedPool()
	for round := range 20 {
		lc, p, want := leasedSlice(t, pool)
		var wg sync.WaitGroup
		readers := make([]io.Reader, 4)
		for i := range readers {
			readers[i] = lc.Open()
		}
		for i, r := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var got []byte
				buf := make([]byte, 188*(i+1)+i)
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if !bytes.HasPrefix(want, got) {
						t.Errorf("round %d reader %d: bytes differ from the slice's after %d", round, i, len(got))
						return
					}
					if err == io.EOF || errors.Is(err, errReaderClosed) {
						return
					}
					if err != nil {
						t.Errorf("round %d reader %d: %v", round, i, err)
						return
					}
				}
			}()
		}
		for i, r := range readers {
			if i == 2 {
				lc.l.drop() // the fate, among the closes
			}
			r.(io.Closer).Close()
		}
		wg.Wait()
		if p.Len() != 0 {
			t.Fatalf("round %d: frames held after every reader closed", round)
		}
	}
}
