package fmp4

import "github.com/fleetsim/fleetsim/media/av"

// AppendSlice appends a self-contained slice: the init segment, then one
// fragment per GOP (a fragment starts at each video key frame). video and
// audio are each in decode order; an audio frame goes into the fragment
// whose video time span holds its PTS (the first fragment takes earlier
// audio, the last one later audio). On error dst is returned unchanged.
func (m *Muxer) AppendSlice(dst []byte, video, audio []av.Frame) ([]byte, error) {
	m.vp, m.ap = framePtrs(m.vp[:0], video), framePtrs(m.ap[:0], audio)
	defer func() {
		clear(m.vp)
		clear(m.ap)
	}()
	n := len(dst)
	dst = m.AppendInit(dst)
	m.frags = fragments(m.frags[:0], &m.vp, &m.ap, nil) // pointers: no boxing
	for _, fr := range m.frags {
		var err error
		dst, err = m.appendFragment(dst, m.vp[fr.v0:fr.v1], m.ap[fr.a0:fr.a1])
		if err != nil {
			return dst[:n], err
		}
	}
	return dst, nil
}

// fragRange is one fragment of a slice: video[v0:v1] and audio[a0:a1].
type fragRange struct{ v0, v1, a0, a1 int }

// fragments appends the fragments of a slice to dst: one per GOP, each
// with the audio whose PTS falls before the next GOP's first DTS (the last
// takes the rest); audio alone makes one fragment. sc is the scratch of
// compact Lists (nil for frame pointers).
func fragments(dst []fragRange, video, audio av.List, sc *[2]av.Frame) []fragRange {
	var sv, sa *av.Frame
	if sc != nil {
		sv, sa = &sc[0], &sc[1]
	}
	ai, nv, na := 0, video.Len(), audio.Len()
	for start := 0; start < nv; {
		end := start + 1
		for end < nv && !video.At(end, sv).Key {
			end++
		}
		aEnd := na
		if end < nv {
			dts := video.At(end, sv).DTS
			aEnd = ai
			for aEnd < na && audio.At(aEnd, sa).PTS < dts {
				aEnd++
			}
		}
		dst = append(dst, fragRange{start, end, ai, aEnd})
		start, ai = end, aEnd
	}
	if nv == 0 && na > 0 {
		dst = append(dst, fragRange{0, 0, 0, na})
	}
	return dst
}

// windowUnits is the room for NAL units of a window's frame slot.
const windowUnits = 12

// window is the frames of one fragment by pointer: a List's own frames
// (av.Ptrs), or its frames materialised into a reused scratch array.
type window struct {
	frames []av.Frame
	ptrs   []*av.Frame
}

// load returns frames i0..i1 of l.
func (w *window) load(l av.List, i0, i1 int) []*av.Frame {
	if p, ok := l.(av.Ptrs); ok {
		return p[i0:i1]
	}
	n := i1 - i0
	if n > len(w.frames) {
		// new slots get their NAL unit lists from one block (a frame
		// with more units grows its own)
		k := n - len(w.frames)
		units := make([][]byte, k*windowUnits)
		frames := make([]av.Frame, n, max(n, 2*len(w.frames)))
		copy(frames, w.frames)
		for j := range k {
			frames[len(w.frames)+j].NALUs = units[j*windowUnits : j*windowUnits : (j+1)*windowUnits]
		}
		w.frames = frames
	}
	if cap(w.ptrs) < n {
		w.ptrs = make([]*av.Frame, 0, n)
	}
	w.ptrs = w.ptrs[:0]
	for k := range n {
		w.ptrs = append(w.ptrs, l.At(i0+k, &w.frames[k]))
	}
	return w.ptrs
}
