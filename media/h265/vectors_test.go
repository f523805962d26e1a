package h265

import (
	"encoding/hex"
	"testing"
)

// psVectors is the one table of real parameter sets shared by the parse
// tests, the config-record tests and the fuzz seeds. Made by ffmpeg 5.1 /
// libx265 from a test source, e.g.
//
//	ffmpeg -f lavfi -i testsrc=size=642x362:rate=25 -frames:v 1 -pix_fmt yuv444p \
//	    -c:v libx265 -f hevc out.hevc
//
// with the size, rate, -pix_fmt and -x265-params given per row.
var psVectors = []struct {
	name          string
	vps, sps, pps string
	width, height int
	profile       uint8
	level         uint8
	chroma        uint32
	bitDepth      uint32
	fps           float64
	scalingList   bool
}{
	{"640x360 main", "40010c01ffff01600000030090000003000003003f959809",
		"42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321", "4401c172b46240",
		640, 360, 1, 63, 1, 8, 25, false},
	{"1920x1080 main", "40010c01ffff016000000300900000030000030078959809",
		"420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000c84", "4401c172b46240",
		1920, 1080, 1, 120, 1, 8, 25, false},
	{"1280x720 main10", "40010c01ffff02200000030090000003000003005d959809",
		"42010102200000030090000003000003005da00280802d1365959a4932bc05a02000000300200000030321", "4401c172b46240",
		1280, 720, 2, 93, 1, 10, 25, false},
	{"642x362 main444-8 (conformance window)", "40010c01ffff0408000003009e0800000300003f959809",
		"4201010408000003009e0800000300003f9000a2402e39e7cb2b349265780b4040000003004000000642", "4401c172860c4624",
		642, 362, 4, 63, 3, 8, 25, false},
	{"352x288 29.97 scaling-list=default", "40010c01ffff01600000030090000003000003003c959809",
		"42010101600000030090000003000003003ca00b08048596566924e5780b40400000fa40001d4c02", "4401c172b46240",
		352, 288, 1, 60, 1, 8, 30000.0 / 1001, true},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
