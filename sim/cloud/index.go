package cloud

import (
	"sort"
	"sync"
	"time"
)

// storedSlice is one time range held by cloud storage.
type storedSlice struct {
	start, end time.Time
	seq        uint64
	size       int64
}

// storageIndex is what cloud storage holds per device channel, ordered by
// time, with overlapping uploads overwriting what they overlap (CS17).
type storageIndex struct {
	mu    sync.Mutex
	byCh  map[chanKey][]storedSlice // sorted by start, non-overlapping
	bytes int64
	// retention: ranges that ended this long before a channel's newest
	// range are forgotten (0: kept for ever), which bounds memory in soak
	// runs; overlaps further back than that go undetected.
	retention time.Duration
}

func newStorageIndex(retention time.Duration) *storageIndex {
	return &storageIndex{byCh: make(map[chanKey][]storedSlice), retention: retention}
}

// Put stores s and returns the stored slices whose ranges it overlapped.
// Ranges are half-open [start, end): slices that only touch do not overlap.
// Overlapped parts are cut away; what is left of an old slice stays stored.
func (x *storageIndex) Put(k chanKey, s storedSlice) (overwritten []storedSlice) {
	x.mu.Lock()
	defer x.mu.Unlock()
	list := x.byCh[k]
	// first slice that ends after s starts
	i := sort.Search(len(list), func(i int) bool { return list[i].end.After(s.start) })
	j := i
	var keep []storedSlice
	for j < len(list) && list[j].start.Before(s.end) {
		old := list[j]
		if !old.end.After(s.start) { // zero-length old slice at s.start
			j++
			continue
		}
		overwritten = append(overwritten, old)
		if old.start.Before(s.start) {
			keep = append(keep, storedSlice{start: old.start, end: s.start, seq: old.seq, size: old.size})
		}
		if old.end.After(s.end) {
			keep = append(keep, storedSlice{start: s.end, end: old.end, seq: old.seq, size: old.size})
		}
		j++
	}
	// zero-length new slices overlap nothing but are stored
	repl := make([]storedSlice, 0, len(keep)+1)
	for _, r := range keep {
		if r.end.Before(s.start) || r.end.Equal(s.start) {
			repl = append(repl, r)
		}
	}
	repl = append(repl, s)
	for _, r := range keep {
		if !r.start.Before(s.end) {
			repl = append(repl, r)
		}
	}
	out := make([]storedSlice, 0, len(list)-(j-i)+len(repl))
	out = append(out, list[:i]...)
	out = append(out, repl...)
	out = append(out, list[j:]...)
	if x.retention > 0 && len(out) > 1 {
		newest := out[len(out)-1].end
		drop := 0
		for drop < len(out)-1 && newest.Sub(out[drop].end) > x.retention {
			drop++
		}
		if drop > 0 {
			out = append(out[:0:0], out[drop:]...)
		}
	}
	x.byCh[k] = out
	x.bytes += s.size
	return overwritten
}

// Ranges returns a copy of what a channel holds.
func (x *storageIndex) Ranges(k chanKey) []storedSlice {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]storedSlice(nil), x.byCh[k]...)
}

// Delete drops everything of a device and returns how many ranges it held.
func (x *storageIndex) Delete(device string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for k, l := range x.byCh {
		if k.device == device {
			n += len(l)
			delete(x.byCh, k)
		}
	}
	return n
}
