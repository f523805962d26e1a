package h265

// ParameterSets returns the first VPS, SPS and PPS among the NAL units of
// an access unit (nil when absent), e.g. to build the decoder configuration
// record of a container from a key frame's in-band parameter sets.
func ParameterSets(nalus [][]byte) (vps, sps, pps []byte) {
	for _, u := range nalus {
		switch Type(u) {
		case NALVPS:
			if vps == nil {
				vps = u
			}
		case NALSPS:
			if sps == nil {
				sps = u
			}
		case NALPPS:
			if pps == nil {
				pps = u
			}
		}
	}
	return vps, sps, pps
}
