package h264

import (
	"encoding/hex"
	"testing"
)

// spsVectors is the one table of real parameter sets shared by the parse
// tests, the encode (config record, framing) tests and the fuzz seeds.
// Made by ffmpeg 5.1 / libx264 from a test source, e.g.
//
//	ffmpeg -f lavfi -i testsrc=size=640x360:rate=25 -frames:v 1 -c:v libx264 \
//	    -profile:v baseline -f h264 out.h264
//
// with the size, -profile:v, -pix_fmt and -x264-params given per row.
var spsVectors = []struct {
	name          string
	sps, pps      string
	width, height int
	profile       uint8
	level         uint8
	chroma        uint32
	fps           float64
	frameMbsOnly  bool
	cropBottom    uint32
}{
	{"640x360 baseline (crop 8 rows)", "6742c01ed900a02ff97011000003000100000300320f162e48", "68cb83cb20",
		640, 360, 66, 30, 1, 25, true, 4},
	{"1280x720 main", "674d401feca02802dd80880000030008000003019078c18cb0", "68ebe3cb20",
		1280, 720, 77, 31, 1, 25, true, 0},
	{"1920x1080 high (crop 8 rows)", "67640028acd940780227e5c044000003000400000300c83c60c658", "68ebe3cb22c0",
		1920, 1080, 100, 40, 1, 25, true, 4},
	{"1920x1080 high10", "676e0028a6cd940780227e5c0440000003004000000c83c60c6580", "68ebe3cb22c0",
		1920, 1080, 110, 40, 1, 25, true, 4},
	{"352x288 high cqm=jvt", "6764000dacd9416096c044000003000400000300c83c50a658", "68ebe3cb3002c0",
		352, 288, 100, 13, 1, 25, true, 0},
	{"642x362 high444 (crop right/bottom)", "67f4001e919b281485fc7cf808800000030080000019078b16cb", "68ebe3c44844",
		642, 362, 244, 30, 3, 25, true, 6},
	{"1920x1080 interlaced (field crop units)", "67640028acd94078044fde0220000003002000000643e2c5b2c0", "68fba3cb22c0",
		1920, 1080, 100, 40, 1, 25, false, 2},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
