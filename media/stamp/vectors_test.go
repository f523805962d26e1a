package stamp

import (
	"math"

	"github.com/fleetsim/fleetsim/media/av"
)

// vectors is the one table of stamps shared by the write tests, the read
// tests (every framing) and the fuzz seeds. golden, when set, is the H.264
// NAL unit in hex as Append writes it.
var vectors = []struct {
	name   string
	s      Stamp
	golden string
}{
	{"zero", Stamp{}, "06052d6fe61f5473d349bbb8cb12ec6644c61c81" + "80808080808080808080808080808080808080808080808080808080" + "80"},
	{"typical", Stamp{Device: 1042, Seq: 77, Capture: 1_763_740_800_123_456_789}, "06052d6fe61f5473d349bbb8cb12ec6644c61c818080808080808080a0c880808080808080819a98bd849d9bd9e39a9580"},
	{"max", Stamp{Device: math.MaxUint64, Seq: math.MaxUint64, Capture: math.MaxInt64}, "06052d6fe61f5473d349bbb8cb12ec6644c61c8187fffffffffffffffffffffffffffffffffffeffffffffffffffffff80"},
	{"negative capture", Stamp{Device: 1, Seq: 1 << 40, Capture: -1}, "06052d6fe61f5473d349bbb8cb12ec6644c61c8180808080808080808084808080c08080808081ffffffffffffffffff80"},
	{"alternating bits", Stamp{Device: 0xAAAAAAAAAAAAAAAA, Seq: 0x5555555555555555, Capture: 0x0123456789ABCDEF}, "06052d6fe61f5473d349bbb8cb12ec6644c61c8185aad5aad5aad5aad5a9aad5aad5aad5aad5aa8191d1acf8cdaf9bef80"},
}

var codecs = []av.Codec{av.H264, av.H265}
