package clock

// fakeHeap is the Fake clock's 4-ary min-heap of armed timers by (when,
// order); every timer knows its index, so Stop and Reset are O(log n)
// without searching, and nothing is boxed in an interface.
type fakeHeap []*fakeTimer

func (h fakeHeap) less(a, b *fakeTimer) bool {
	return a.when < b.when || (a.when == b.when && a.order < b.order)
}

func (h *fakeHeap) push(t *fakeTimer) {
	t.index = len(*h)
	*h = append(*h, t)
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
		q[i].index = i
	}
	q[last] = nil
	*h = q[:last]
	t.index = -1
	if i != last {
		h.fix(i)
	}
	return true
}

// fix restores the heap after the key of q[i] changed.
func (h fakeHeap) fix(i int) {
	if !h.up(i) {
		h.down(i)
	}
}

// up moves q[i] towards the root; it reports whether it moved.
func (h fakeHeap) up(i int) bool {
	t := h[i]
	moved := false
	for i > 0 {
		p := (i - 1) / 4
		if !h.less(t, h[p]) {
			break
		}
		h[i] = h[p]
		h[i].index = i
		i = p
		moved = true
	}
	h[i] = t
	t.index = i
	return moved
}

func (h fakeHeap) down(i int) {
	n := len(h)
	t := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if h.less(h[k], h[m]) {
				m = k
			}
		}
		if !h.less(h[m], t) {
			break
		}
		h[i] = h[m]
		h[i].index = i
		i = m
	}
	h[i] = t
	t.index = i
}
