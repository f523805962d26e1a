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
	m.frags = fragments(m.frags[:0], m.vp, m.ap)
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
// takes the rest); audio alone makes one fragment.
func fragments(dst []fragRange, video, audio []*av.Frame) []fragRange {
	ai := 0
	for start := 0; start < len(video); {
		end := start + 1
		for end < len(video) && !video[end].Key {
			end++
		}
		aEnd := len(audio)
		if end < len(video) {
			aEnd = ai
			for aEnd < len(audio) && audio[aEnd].PTS < video[end].DTS {
				aEnd++
			}
		}
		dst = append(dst, fragRange{start, end, ai, aEnd})
		start, ai = end, aEnd
	}
	if len(video) == 0 && len(audio) > 0 {
		dst = append(dst, fragRange{0, 0, 0, len(audio)})
	}
	return dst
}
