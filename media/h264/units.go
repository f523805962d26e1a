package h264

// Units returns every NAL unit the Synth hands out, each shared by all the
// access units it makes: the parameter sets, the pictures and the filler
// units. A recorder can index them once for every camera of a profile
// (av.Dict). The slices must not be modified.
func (s *Synth) Units() [][]byte {
	u := [][]byte{s.sps, s.pps, s.idr[0], s.idr[1]}
	u = append(u, s.p[:]...)
	return append(u, s.filler.Units()...)
}

// Units returns every filler NAL unit f hands out (shared, not to be
// modified).
func (f *Filler) Units() [][]byte {
	u := make([][]byte, 0, len(f.small)+len(f.big))
	u = append(u, f.small...)
	return append(u, f.big...)
}
