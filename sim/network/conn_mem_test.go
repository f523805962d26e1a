package network

import (
	"testing"
	"time"
)

// TestQueueArrays: a connection that drains after an idle spell lets go
// of its queue arrays (an idle camera between slice uploads holds none;
// at the runner's quantum the acknowledgements still out fit inline),
// while a writer paced by frames keeps them and allocates nothing per
// write.
func TestQueueArrays(t *testing.T) {
	fk := newFakeAtEpoch()
	l, err := New(Options{Clock: fk, Seed: 1, Device: "cam-mem", Profile: cleanProfile, Quantum: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := dialRec(t, l, fk)
	fk.Advance(2 * time.Second) // idle before the first upload
	body := make([]byte, sliceBytes)
	uploadSlice(fk, c, body)
	c.mu.Lock()
	segs, acks := cap(c.segs), cap(c.acks)
	c.mu.Unlock()
	if segs != inlineSegs || acks != inlineAcks {
		t.Errorf("idle after an upload: queue capacities %d segments, %d acks, want the inline %d, %d", segs, acks, inlineSegs, inlineAcks)
	}

	frame := make([]byte, 6*DefaultMSS)
	write := func() {
		c.Write(frame)
		fk.Advance(time.Second / 15)
	}
	for i := 0; i < 30; i++ {
		write()
	}
	if n := testing.AllocsPerRun(100, write); n != 0 {
		t.Errorf("%v allocations per frame write and flush, want 0", n)
	}
	c.mu.Lock()
	segs = cap(c.segs)
	c.mu.Unlock()
	if segs <= inlineSegs {
		t.Errorf("a frame-paced writer let go of its queue (capacity %d)", segs)
	}
}
