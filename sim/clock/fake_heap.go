package clock

// fakeHeap is the Fake clock's 4-ary min-heap of armed timers by (when,
// order). Entries carry their key inline, so sifting compares the heap's
// own array instead of following a pointer per child (a fleet's thousands
// of timers are cold in cache); every timer knows its index, so Stop and
// Reset are O(log n) without searching, and nothing is boxed in an
// interface.
type fakeHeap []fakeEntry

type fakeEntry struct {
	when  int64
	order uint64
	t     *fakeTimer
}

func (a *fakeEntry) less(b *fakeEntry) bool {
	return a.when < b.when || (a.when == b.when && a.order < b.order)
}

func (h *fakeHeap) push(t *fakeTimer) {
	t.index = len(*h)
	*h = append(*h, fakeEntry{when: t.when, order: t.order, t: t})
	h.up(t.index)
}

// remove takes t out of the heap and reports whether it was there.
func (h *fakeHeap) remove(t *fakeTimer) bool {
	i := t.index
	if i < 0 {
		return false
	}
	q := *h
	last := len(q) - 1
	if i != last {
		q[i] = q[last]
		q[i].t.index = i
	}
	q[last] = fakeEntry{}
	*h = q[:last]
	t.index = -1
	if i != last {
		(*h).fix(i)
	}
	return true
}

// rekey copies t's new (when, order) into its entry and restores the heap.
func (h fakeHeap) rekey(t *fakeTimer) {
	e := &h[t.index]
	e.when, e.order = t.when, t.order
	h.fix(t.index)
}

// fix restores the heap after the key of q[i] changed.
func (h fakeHeap) fix(i int) {
	if !h.up(i) {
		h.down(i)
	}
}

// up moves q[i] towards the root; it reports whether it moved.
func (h fakeHeap) up(i int) bool {
	e := h[i]
	moved := false
	for i > 0 {
		p := (i - 1) / 4
		if !e.less(&h[p]) {
			break
		}
		h[i] = h[p]
		h[i].t.index = i
		i = p
		moved = true
	}
	h[i] = e
	e.t.index = i
	return moved
}

func (h fakeHeap) down(i int) {
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if h[k].less(&h[m]) {
				m = k
			}
		}
		if !h[m].less(&e) {
			break
		}
		h[i] = h[m]
		h[i].t.index = i
		i = m
	}
	h[i] = e
	e.t.index = i
}
