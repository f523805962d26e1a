package h264

import "testing"

func TestParameterSets(t *testing.T) {
	sps, pps, idr := []byte{0x67, 1}, []byte{0x68, 2}, []byte{0x65, 3}
	for _, c := range []struct {
		name     string
		nalus    [][]byte
		sps, pps []byte
	}{
		{"key frame", [][]byte{{0x09, 0xF0}, sps, pps, idr}, sps, pps},
		{"first of each", [][]byte{sps, pps, {0x67, 9}, {0x68, 9}}, sps, pps},
		{"none", [][]byte{{0x41, 1}}, nil, nil},
		{"empty", nil, nil, nil},
	} {
		s, p := ParameterSets(c.nalus)
		if string(s) != string(c.sps) || string(p) != string(c.pps) || (s == nil) != (c.sps == nil) {
			t.Errorf("%s: got %x %x", c.name, s, p)
		}
	}
}
