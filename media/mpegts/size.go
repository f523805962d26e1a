package mpegts

import "github.com/fleetsim/fleetsim/media/av"

// SliceSize returns the number of bytes AppendFrame appends for frames, in
// order, without writing them and without changing m's continuity counters
// (they do not change a slice's size). It fails with AppendFrame's error
// on the first frame AppendFrame would refuse.
func (m *Muxer) SliceSize(frames []*av.Frame) (int, error) {
	total := 0
	for _, f := range frames {
		n, err := m.frameSize(&m.pes, f)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
