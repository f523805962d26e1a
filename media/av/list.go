package av

// List is a read-only sequence of frames, however they are stored: a slice
// of frame pointers (Ptrs) or a compact store (Packed). The containers mux
// a List, so a slice held for upload need not keep a Frame per frame.
type List interface {
	// Len is the number of frames.
	Len() int
	// At returns frame i. A List that stores frames compactly fills
	// scratch (reusing the backing array of scratch.NALUs) and returns it,
	// so the frame is valid until the next At with the same scratch; a
	// List of pointers returns its own frame. Callers must not modify it.
	At(i int, scratch *Frame) *Frame
}

// Ptrs is a List of frames held by pointer.
type Ptrs []*Frame

// Len implements List.
func (p Ptrs) Len() int { return len(p) }

// At implements List: frame i itself, scratch unused.
func (p Ptrs) At(i int, _ *Frame) *Frame { return p[i] }

// Subset is the frames of L at the indices Index, in that order: one
// stream of a List holding several, for a container that writes them
// separately.
type Subset struct {
	L     List
	Index []int32
}

// Len implements List.
func (s Subset) Len() int { return len(s.Index) }

// At implements List.
func (s Subset) At(i int, scratch *Frame) *Frame { return s.L.At(int(s.Index[i]), scratch) }

// Frames returns the frames of l by pointer: a Ptrs itself, or else a copy
// of every frame, each with its own NAL unit list (the byte slices are
// shared).
func Frames(l List) []*Frame {
	if p, ok := l.(Ptrs); ok {
		return p
	}
	frames := make([]Frame, l.Len())
	ptrs := make([]*Frame, len(frames))
	for i := range frames {
		l.At(i, &frames[i])
		frames[i].NALUs = append([][]byte(nil), frames[i].NALUs...)
		ptrs[i] = &frames[i]
	}
	return ptrs
}
