package h265

import "testing"

func TestParameterSets(t *testing.T) {
	vps, sps, pps := []byte{0x40, 1, 1}, []byte{0x42, 1, 2}, []byte{0x44, 1, 3}
	idr := []byte{0x26, 1, 4}
	for _, c := range []struct {
		name          string
		nalus         [][]byte
		vps, sps, pps []byte
	}{
		{"key frame", [][]byte{{0x46, 1, 0x50}, vps, sps, pps, idr}, vps, sps, pps},
		{"first of each", [][]byte{vps, sps, pps, {0x40, 1, 9}, {0x42, 1, 9}, {0x44, 1, 9}}, vps, sps, pps},
		{"no vps", [][]byte{sps, pps, idr}, nil, sps, pps},
		{"none", [][]byte{{0x02, 1, 1}}, nil, nil, nil},
	} {
		v, s, p := ParameterSets(c.nalus)
		if string(v) != string(c.vps) || string(s) != string(c.sps) || string(p) != string(c.pps) ||
			(v == nil) != (c.vps == nil) || (s == nil) != (c.sps == nil) || (p == nil) != (c.pps == nil) {
			t.Errorf("%s: got %x %x %x", c.name, v, s, p)
		}
	}
}
