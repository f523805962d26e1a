package fmp4

import "github.com/fleetsim/fleetsim/media/av"

// AppendSlice appends a self-contained slice: the init segment, then one
// fragment per GOP (a fragment starts at each video key frame). video and
// audio are each in decode order; an audio frame goes into the fragment
// whose video time span holds its PTS (the first fragment takes earlier
// audio, the last one later audio). On error dst is returned unchanged.
func (m *Muxer) AppendSlice(dst []byte, video, audio []av.Frame) ([]byte, error) {
	n := len(dst)
	dst = m.AppendInit(dst)
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
		var err error
		dst, err = m.AppendFragment(dst, video[start:end], audio[ai:aEnd])
		if err != nil {
			return dst[:n], err
		}
		start, ai = end, aEnd
	}
	if len(video) == 0 && len(audio) > 0 {
		var err error
		if dst, err = m.AppendFragment(dst, nil, audio); err != nil {
			return dst[:n], err
		}
	}
	return dst, nil
}
