package stamp

import (
	"testing"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
)

// FuzzRead feeds arbitrary bytes to every reader: as one NAL unit, an
// Annex-B access unit, a length-prefixed one and an FLV video tag body. A
// stamp read from a single NAL unit must re-encode to a NAL unit that reads
// the same.
func FuzzRead(f *testing.F) {
	for _, v := range vectors {
		for _, c := range codecs {
			au := accessUnit(c, v.s)
			f.Add(uint8(c), Append(nil, c, v.s))
			f.Add(uint8(c), h264.AppendAnnexB(nil, au...))
			avcc, _ := h264.AppendAVCC(nil, 4, au...)
			f.Add(uint8(c), append([]byte{0x17, 1, 0, 0, 0}, avcc...))
		}
	}
	f.Fuzz(func(t *testing.T, codec uint8, b []byte) {
		c := av.H264
		if codec%2 == 0 {
			c = av.H265
		}
		if s, ok := Read(c, b); ok {
			if s2, ok := Read(c, Append(nil, c, s)); !ok || s2 != s {
				t.Fatalf("stamp %+v does not round trip", s)
			}
		}
		ReadAnnexB(c, b)
		for ls := 1; ls <= 4; ls++ {
			ReadAVCC(c, b, ls)
		}
		ReadFLVVideo(b)
	})
}
