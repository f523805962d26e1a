package cloud

import (
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// TestSliceLedgerWindow: the ledger remembers the last ledgerSize slices
// of a channel (by number, start and size), holds no more entries than the
// channel has stored, and forgets the oldest first.
func TestSliceLedgerWindow(t *testing.T) {
	var l sliceLedger
	k := chanKey{"cam-1", 0}
	start := func(i int) time.Time { return clock.Epoch().Add(time.Duration(i) * 10 * time.Second) }
	for i := range 3 {
		if l.seen(k, uint64(i), start(i), 1000+i) {
			t.Fatalf("slice %d seen before it was stored", i)
		}
	}
	if n := len(l.m[k].e); n != 3 {
		t.Fatalf("%d entries for 3 slices", n)
	}
	if !l.has(k, 1, start(1), 1001) || l.has(k, 1, start(1), 1002) || l.has(k, 1, start(2), 1001) {
		t.Fatal("has does not match by number, start and size")
	}
	if !l.seen(k, 2, start(2), 1002) {
		t.Fatal("a stored slice not seen again")
	}
	for i := 3; i < ledgerSize+2; i++ {
		l.seen(k, uint64(i), start(i), 1000+i)
	}
	if n := len(l.m[k].e); n != ledgerSize {
		t.Fatalf("%d entries, want the cap %d", n, ledgerSize)
	}
	if l.has(k, 0, start(0), 1000) || l.has(k, 1, start(1), 1001) {
		t.Fatal("the oldest slices are still remembered past the window")
	}
	for i := 2; i < ledgerSize+2; i++ {
		if !l.has(k, uint64(i), start(i), 1000+i) {
			t.Fatalf("slice %d forgotten inside the window", i)
		}
	}
	l.forget("cam-1")
	if l.has(k, 5, start(5), 1005) {
		t.Fatal("forget kept the device's slices")
	}
}
