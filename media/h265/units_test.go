package h265

import "testing"

// TestUnitsCoverAccessUnits: every NAL unit of every access unit the Synth
// makes (but the caller's SEI) is one of Units, by identity, for all
// pictures and paddings from none to several of the largest filler unit.
func TestUnitsCoverAccessUnits(t *testing.T) {
	s, err := NewSynth(SynthConfig{Width: 640, Height: 360, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	known := map[*byte]int{}
	for _, u := range s.Units() {
		known[&u[0]] = len(u)
	}
	sei := []byte{6, 5, 1, 0x80}
	for gop := range 2 {
		for index := range 40 {
			for size := 0; size < 70000; size += 97 + 13*index {
				nalus, _ := s.AppendAccessUnit(nil, Picture{GOP: int64(gop), Index: index}, size, sei)
				for k, u := range nalus {
					if &u[0] == &sei[0] {
						continue
					}
					if n, ok := known[&u[0]]; !ok || n != len(u) {
						t.Fatalf("gop %d picture %d size %d: NAL unit %d (%d bytes) is not one of Units", gop, index, size, k, len(u))
					}
				}
			}
		}
	}
}
