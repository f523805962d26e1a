package h265

// Units returns every NAL unit the Synth hands out, each shared by all the
// access units it makes: the parameter sets, the pictures and the filler
// units. A recorder can index them once for every camera of a profile
// (av.Dict). The slices must not be modified.
func (s *Synth) Units() [][]byte {
	u := [][]byte{s.vps, s.sps, s.pps, s.idr}
	u = append(u, s.p[:]...)
	return append(u, s.filler.Units()...)
}
