package clock

import (
	"math/bits"
	"slices"
)

// wheelSlots is the number of slots of a shard's timing wheel, one
// wake-up grid step each: with the default 1 ms grid the wheel spans about
// a second, which holds every frame, flush and segment timer of a fleet.
const wheelSlots = 1024

// timerStore holds the armed timers of a shard in deadline order: a timing
// wheel for the deadlines of the next wheelSlots grid steps and a 4-ary
// min-heap (far) for later ones.
//
// A timer's tick is the grid point it fires at (its deadline rounded up to
// the grid, in grid steps). The store keeps three places, in order:
//   - run: taken off the wheel, sorted by (deadline, arming order); every
//     entry here has a tick before cursor;
//   - the wheel: slot tick%wheelSlots holds the timers of ticks cursor to
//     cursor+wheelSlots-1, unsorted, and occ marks the slots that hold any;
//   - far: the later ticks, a heap by (deadline, arming order).
//
// Arming a timer appends to its slot, and the earliest timer is at the
// head of run or, when run is spent, in the next marked slot, whose
// entries are sorted into run then (a few dozen a step in a fleet, hot in
// cache): no sift through a heap of every timer per fire, as a heap of all
// of them would need. Deletion is lazy, as in the heap: Stop and Reset only
// mark the timer (armed, seq); an entry whose timer no longer carries its
// seq is stale and dropped when it is reached, or by compact once stale
// entries outnumber the live ones. Moving an entry never writes to its
// timer, which in a fleet is a cold cache line.
type timerStore struct {
	res     int64 // grid step, ns (≥ 1)
	cursor  int64 // first tick of the wheel
	run     []heapEntry
	head    int // run[head:] is pending
	slots   [][]heapEntry
	occ     [wheelSlots / 64]uint64
	far     []heapEntry
	keys    []uint64 // takeSlot's scratch: sort keys…
	tmp     []uint64 // … and the counting pass's output
	live    int      // armed timers (entries that are current)
	entries int      // entries in run[head:], the wheel and far, stale or not
	seq     uint64
}

// heapEntry is an entry of a shard's store. Its key is copied from the
// timer, so comparisons read the store's own arrays instead of following a
// pointer per entry; it is current while the timer is armed with its seq.
type heapEntry struct {
	when int64
	seq  uint64
	t    *batchedTimer
}

func before(a, b *heapEntry) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

func cmpEntries(a, b heapEntry) int {
	switch {
	case before(&a, &b):
		return -1
	case before(&b, &a):
		return 1
	}
	return 0
}

// current reports whether e still stands for its timer's arming.
func (e *heapEntry) current() bool { return e.t.armed && e.t.seq == e.seq }

// tick is the grid point a deadline fires at, in grid steps.
func (s *timerStore) tick(when int64) int64 {
	q := when / s.res
	if when%s.res > 0 {
		q++
	}
	return q
}

// remove disarms t and reports whether it was armed; its entry stays until
// it is reached or the store is compacted.
func (s *timerStore) remove(t *batchedTimer) bool {
	if !t.armed {
		return false
	}
	t.armed = false
	s.live--
	if stale := s.entries - s.live; stale > 64 && stale > s.live {
		s.compact()
	}
	return true
}

// push arms t at t.when with a new seq.
func (s *timerStore) push(t *batchedTimer) {
	s.seq++
	t.seq = s.seq
	t.armed = true
	s.live++
	s.entries++
	e := heapEntry{when: t.when, seq: t.seq, t: t}
	k := s.tick(e.when)
	if k >= s.cursor+wheelSlots && s.head == len(s.run) && s.wheelEmpty() {
		// nothing on the wheel: move it up to this deadline (or to an
		// earlier far one), so that the wheel holds the near timers
		// after an idle spell
		s.advance(min(k, s.farTick()))
	}
	s.place(e, k)
}

// place files e, whose tick is k, in run, its slot or far.
func (s *timerStore) place(e heapEntry, k int64) {
	switch {
	case k < s.cursor:
		// due before the wheel's first slot: into run, in order
		i, _ := slices.BinarySearchFunc(s.run[s.head:], e, cmpEntries)
		s.run = slices.Insert(s.run, s.head+i, e)
	case k < s.cursor+wheelSlots:
		if s.slots == nil {
			s.slots = make([][]heapEntry, wheelSlots)
		}
		i := int(k % wheelSlots)
		s.slots[i] = append(s.slots[i], e)
		s.occ[i/64] |= 1 << (i % 64)
	default:
		s.far = append(s.far, e)
		s.up(len(s.far) - 1)
	}
}

// peek is the earliest armed timer, nil when none is; it drops the stale
// entries before it.
func (s *timerStore) peek() *batchedTimer { return s.peekUntil(1<<63 - 1) }

// peekUntil is peek among the timers of ticks up to limit: nil when the
// earliest is later. Only slots up to limit are sorted into run, so that
// the timers armed meanwhile for later ticks are appended to the wheel,
// not inserted into run.
func (s *timerStore) peekUntil(limit int64) *batchedTimer {
	for {
		for s.head < len(s.run) {
			if e := &s.run[s.head]; e.current() {
				if s.tick(e.when) > limit {
					return nil
				}
				return e.t
			}
			s.dropHead()
		}
		// run is spent: sort the next marked slot into it
		if k, ok := s.nextSlot(); ok {
			if k > limit {
				return nil
			}
			s.takeSlot(k)
			continue
		}
		if len(s.far) == 0 {
			return nil
		}
		if !s.far[0].current() {
			s.farPop()
			s.entries--
			continue
		}
		k := s.tick(s.far[0].when)
		if k > limit {
			return nil
		}
		s.advance(k)
	}
}

// nextTick is the tick of the earliest entry, stale or not past run's
// head: when the worker must wake next.
func (s *timerStore) nextTick() (int64, bool) {
	for s.head < len(s.run) {
		if e := &s.run[s.head]; e.current() {
			return s.tick(e.when), true
		}
		s.dropHead()
	}
	if k, ok := s.nextSlot(); ok {
		return k, true
	}
	for len(s.far) > 0 {
		if s.far[0].current() {
			return s.tick(s.far[0].when), true
		}
		s.farPop()
		s.entries--
	}
	return 0, false
}

// pop disarms the timer peek returned and takes its entry off.
func (s *timerStore) pop() {
	s.run[s.head].t.armed = false
	s.live--
	s.dropHead()
}

// dropHead takes run's head entry off.
func (s *timerStore) dropHead() {
	s.run[s.head] = heapEntry{}
	s.head++
	s.entries--
	if s.head == len(s.run) {
		s.run, s.head = s.run[:0], 0
	}
}

// takeSlot moves the current entries of slot tick k (the first marked one)
// into run, sorted, and moves the wheel past it.
func (s *timerStore) takeSlot(k int64) {
	i := int(k % wheelSlots)
	slot := s.slots[i]
	n := len(s.run)
	if len(slot) <= posMask && s.res <= 1<<(63-posBits) {
		// Sort keys, not entries: a deadline's offset in the step and the
		// entry's position in the slot, which is its arming order (slots
		// are appended in arming order), in one integer; then gather the
		// entries in key order.
		base := (k - 1) * s.res // every deadline of tick k is after it
		keys := s.keys[:0]
		for j := range slot {
			if slot[j].current() {
				keys = append(keys, uint64(slot[j].when-base-1)<<posBits|uint64(j))
			} else {
				s.entries--
			}
		}
		keys = s.sortKeys(keys)
		for _, key := range keys {
			s.run = append(s.run, slot[key&posMask])
		}
		s.keys = keys
	} else {
		for _, e := range slot {
			if e.current() {
				s.run = append(s.run, e)
			} else {
				s.entries--
			}
		}
		slices.SortFunc(s.run[n:], cmpEntries)
	}
	// a slot's deadlines all follow run's (earlier ticks): sorting the
	// slot's own entries keeps run in order
	clear(slot)
	s.slots[i] = slot[:0]
	s.occ[i/64] &^= 1 << (i % 64)
	s.advance(k + 1)
}

// sortKeys sorts a slot's keys (offsets below s.res) and returns them, in
// keys or in the store's other scratch array. A fleet's slot holds a few
// hundred timers in no order: one counting pass on the offset's top 8 bits
// leaves each key among the few of its 256th of the step, and an insertion
// sort finishes, about 10 ns a key where a comparison sort took 70 (most
// of it mispredicted branches).
func (s *timerStore) sortKeys(keys []uint64) []uint64 {
	if len(keys) <= 16 {
		insertionSort(keys)
		return keys
	}
	shift := max(0, bits.Len64(uint64(s.res-1))-8) + posBits
	var count [257]uint32
	for _, k := range keys {
		count[k>>shift+1]++
	}
	for b := 1; b < len(count); b++ {
		count[b] += count[b-1]
	}
	out := slices.Grow(s.tmp[:0], len(keys))[:len(keys)]
	for _, k := range keys {
		b := k >> shift
		out[count[b]] = k
		count[b]++
	}
	insertionSort(out)
	s.tmp = keys // the two scratch arrays swap roles
	return out
}

func insertionSort(a []uint64) {
	for i := 1; i < len(a); i++ {
		k := a[i]
		j := i
		for ; j > 0 && a[j-1] > k; j-- {
			a[j] = a[j-1]
		}
		a[j] = k
	}
}

// The sort keys of takeSlot: posBits for an entry's position in its slot.
const (
	posBits = 20
	posMask = 1<<posBits - 1
)

// advance moves the wheel's first tick up to k (its slots before k are
// empty) and brings the far timers that now fall on the wheel onto it.
func (s *timerStore) advance(k int64) {
	if k <= s.cursor {
		return
	}
	s.cursor = k
	for len(s.far) > 0 {
		e := s.far[0]
		if !e.current() {
			s.farPop()
			s.entries--
			continue
		}
		ek := s.tick(e.when)
		if ek >= s.cursor+wheelSlots {
			return
		}
		s.farPop()
		s.place(e, ek)
	}
}

// farTick is the tick of the earliest far entry (stale or not), or the
// largest tick when far is empty.
func (s *timerStore) farTick() int64 {
	if len(s.far) == 0 {
		return 1<<63 - 1
	}
	return s.tick(s.far[0].when)
}

// wheelEmpty reports whether no slot is marked.
func (s *timerStore) wheelEmpty() bool {
	for _, w := range s.occ {
		if w != 0 {
			return false
		}
	}
	return true
}

// nextSlot is the tick of the first marked slot at or after cursor.
func (s *timerStore) nextSlot() (int64, bool) {
	start := int(s.cursor % wheelSlots)
	for d := 0; d < wheelSlots; {
		i := (start + d) % wheelSlots
		w := s.occ[i/64] >> (i % 64)
		if w != 0 {
			return s.cursor + int64(d+bits.TrailingZeros64(w)), true
		}
		d += 64 - i%64
	}
	return 0, false
}

// compact drops every stale entry.
func (s *timerStore) compact() {
	keep := func(q []heapEntry) []heapEntry {
		out := q[:0]
		for _, e := range q {
			if e.current() {
				out = append(out, e)
			}
		}
		clear(q[len(out):])
		return out
	}
	run := keep(s.run[s.head:])
	n := copy(s.run, run)
	clear(s.run[n:])
	s.run, s.head = s.run[:n], 0
	entries := n
	for i, slot := range s.slots {
		if len(slot) == 0 {
			continue
		}
		s.slots[i] = keep(slot)
		if len(s.slots[i]) == 0 {
			s.occ[i/64] &^= 1 << (i % 64)
		}
		entries += len(s.slots[i])
	}
	s.far = keep(s.far)
	if len(s.far) > 1 {
		for i := (len(s.far) - 2) / 4; i >= 0; i-- {
			s.down(i)
		}
	}
	s.entries = entries + len(s.far)
}

// each calls fn for every entry, stale or not (Close).
func (s *timerStore) each(fn func(*heapEntry)) {
	for i := s.head; i < len(s.run); i++ {
		fn(&s.run[i])
	}
	for _, slot := range s.slots {
		for i := range slot {
			fn(&slot[i])
		}
	}
	for i := range s.far {
		fn(&s.far[i])
	}
}

// reset empties the store (Close).
func (s *timerStore) reset() {
	*s = timerStore{res: s.res, cursor: s.cursor, seq: s.seq}
}

// farPop takes the top entry off far.
func (s *timerStore) farPop() {
	last := len(s.far) - 1
	s.far[0] = s.far[last]
	s.far[last] = heapEntry{}
	s.far = s.far[:last]
	if last > 0 {
		s.down(0)
	}
}

// up moves far[i] towards the root.
func (s *timerStore) up(i int) {
	q := s.far
	e := q[i]
	for i > 0 {
		p := (i - 1) / 4
		if !before(&e, &q[p]) {
			break
		}
		q[i] = q[p]
		i = p
	}
	q[i] = e
}

func (s *timerStore) down(i int) {
	q := s.far
	n := len(q)
	e := q[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if before(&q[k], &q[m]) {
				m = k
			}
		}
		if !before(&q[m], &e) {
			break
		}
		q[i] = q[m]
		i = m
	}
	q[i] = e
}
