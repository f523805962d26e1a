package stamp

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
)

func TestAppendGoldenAndSize(t *testing.T) {
	for _, v := range vectors {
		for _, c := range codecs {
			b := Append(nil, c, v.s)
			if len(b) != Size(c) {
				t.Fatalf("%s %v: %d bytes, Size says %d", v.name, c, len(b), Size(c))
			}
			if h264.NeedsEscape(b) || bytes.IndexByte(b, 0) >= 0 {
				t.Fatalf("%s %v: stamp NAL needs emulation prevention: % x", v.name, c, b)
			}
			if c == av.H264 && v.golden != "" && hex.EncodeToString(b) != v.golden {
				t.Errorf("%s: wrote %x\nwant  %s", v.name, b, v.golden)
			}
		}
	}
	if SizeH264 != 49 || SizeH265 != 50 || Size(av.AAC) != 0 {
		t.Fatalf("sizes %d %d", SizeH264, SizeH265)
	}
}

func TestReadNAL(t *testing.T) {
	for _, v := range vectors {
		for _, c := range codecs {
			b := Append(nil, c, v.s)
			got, ok := Read(c, b)
			if !ok || got != v.s {
				t.Errorf("%s %v: Read = %+v, %v", v.name, c, got, ok)
			}
			other := av.H265
			if c == av.H265 {
				other = av.H264
			}
			if _, ok := Read(other, b); ok {
				t.Errorf("%s: %v stamp read as %v", v.name, c, other)
			}
		}
	}
	tm := time.Date(2026, 11, 21, 15, 0, 0, 5, time.UTC)
	if s := New(3, 4, tm); !s.CaptureTime().Equal(tm) {
		t.Errorf("capture time %v", s.CaptureTime())
	}
}

// otherSEI is an x264-style SEI NAL unit: a user-data message of another
// UUID whose payload has zeros (so it is escaped), then a second message.
func otherSEI(c av.Codec) []byte {
	rbsp := []byte{5, 20}
	rbsp = append(rbsp, bytes.Repeat([]byte{0xDC}, 16)...)
	rbsp = append(rbsp, 0, 0, 0, 1)
	rbsp = append(rbsp, 6, 1, 0x42, 0x80) // recovery point-like message, stop bit
	hdr := []byte{6}
	if c == av.H265 {
		hdr = []byte{39 << 1, 1}
	}
	return h264.AppendEscaped(hdr, rbsp)
}

func TestReadSkipsOtherMessages(t *testing.T) {
	for _, c := range codecs {
		s := vectors[1].s
		if _, ok := Read(c, otherSEI(c)); ok {
			t.Fatalf("%v: stamp found in a foreign SEI", c)
		}
		// One SEI NAL holding a foreign message, then the stamp message.
		own := Append(nil, c, s)
		hdr := 1
		if c == av.H265 {
			hdr = 2
		}
		foreign := otherSEI(c)
		combined := append([]byte{}, foreign[:len(foreign)-1]...) // drop stop byte
		combined = append(combined, own[hdr:]...)
		got, ok := Read(c, combined)
		if !ok || got != s {
			t.Fatalf("%v: multi-message SEI: %+v %v", c, got, ok)
		}
	}
}

// accessUnit is a key frame as the synthesiser lays it out, with a foreign
// SEI before the stamp and a slice and filler after it.
func accessUnit(c av.Codec, s Stamp) [][]byte {
	if c == av.H265 {
		return [][]byte{{0x40, 1, 0xC}, {0x42, 1, 1}, {0x44, 1, 0xC1}, otherSEI(c), Append(nil, c, s), {0x28, 1, 0xAF, 0, 0, 3, 1}, {0x4C, 1, 0xFF, 0x80}}
	}
	return [][]byte{{0x67, 0x42, 0xC0}, {0x68, 0xCE}, otherSEI(c), Append(nil, c, s), {0x65, 0x88, 0x84, 0, 0, 3}, {0x0C, 0xFF, 0x80}}
}

func TestReadAccessUnits(t *testing.T) {
	for _, v := range vectors {
		for _, c := range codecs {
			au := accessUnit(c, v.s)
			if got, ok := ReadNALUs(c, au); !ok || got != v.s {
				t.Errorf("%s %v: ReadNALUs %+v %v", v.name, c, got, ok)
			}
			ab := h264.AppendAnnexB(nil, au...)
			if got, ok := ReadAnnexB(c, ab); !ok || got != v.s {
				t.Errorf("%s %v: ReadAnnexB %+v %v", v.name, c, got, ok)
			}
			// 3-byte start codes and trailing zeros.
			var ab3 []byte
			for _, u := range au {
				ab3 = append(append(ab3, 0, 0, 1), u...)
				ab3 = append(ab3, 0)
			}
			if got, ok := ReadAnnexB(c, ab3); !ok || got != v.s {
				t.Errorf("%s %v: ReadAnnexB (3-byte codes) %+v %v", v.name, c, got, ok)
			}
			for ls := 1; ls <= 4; ls++ {
				avcc, err := h264.AppendAVCC(nil, ls, au...)
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := ReadAVCC(c, avcc, ls); !ok || got != v.s {
					t.Errorf("%s %v: ReadAVCC(%d) %+v %v", v.name, c, ls, got, ok)
				}
			}
		}
	}
}

// TestNoStampAfterSlice: a stamp must precede the first slice; one after it
// is not read (the reader stops at the slice so its cost does not depend on
// the picture size).
func TestNoStampAfterSlice(t *testing.T) {
	s := vectors[1].s
	au := [][]byte{{0x65, 0x88}, Append(nil, av.H264, s)}
	if _, ok := ReadNALUs(av.H264, au); ok {
		t.Error("ReadNALUs read past the slice")
	}
	if _, ok := ReadAnnexB(av.H264, h264.AppendAnnexB(nil, au...)); ok {
		t.Error("ReadAnnexB read past the slice")
	}
	b, _ := h264.AppendAVCC(nil, 4, au...)
	if _, ok := ReadAVCC(av.H264, b, 4); ok {
		t.Error("ReadAVCC read past the slice")
	}
}

func TestReadFLVVideo(t *testing.T) {
	s := vectors[4].s
	for _, c := range codecs {
		avcc, _ := h264.AppendAVCC(nil, 4, accessUnit(c, s)...)
		var bodies [][]byte
		if c == av.H264 {
			bodies = append(bodies, append([]byte{0x17, 1, 0, 0, 0x21}, avcc...))
			bodies = append(bodies, append([]byte{0x90 | 1, 'a', 'v', 'c', '1', 0, 0, 0}, avcc...))
		} else {
			bodies = append(bodies, append([]byte{0x1C, 1, 0, 0, 0}, avcc...))                       // legacy codec id 12
			bodies = append(bodies, append([]byte{0x90 | 1, 'h', 'v', 'c', '1', 0, 0, 40}, avcc...)) // CodedFrames
			bodies = append(bodies, append([]byte{0x90 | 3, 'h', 'v', 'c', '1'}, avcc...))           // CodedFramesX
			bodies = append(bodies, append([]byte{0xA0 | 3, 'h', 'v', 'c', '1'}, avcc...))           // inter frame
		}
		for i, b := range bodies {
			if got, ok := ReadFLVVideo(b); !ok || got != s {
				t.Errorf("%v body %d: %+v %v", c, i, got, ok)
			}
		}
	}
	for _, b := range [][]byte{nil, {0x17, 0, 0, 0, 0, 1, 2}, {0x90, 'h', 'v', 'c', '1', 1, 2, 3}, {0x92, 'v', 'p', '0', '9'}, {0x27, 1, 0, 0}} {
		if _, ok := ReadFLVVideo(b); ok {
			t.Errorf("% x: stamp found", b)
		}
	}
}

func TestCorruptStampRejected(t *testing.T) {
	good := Append(nil, av.H264, vectors[1].s)
	for i := 1; i < len(good)-1; i++ {
		b := append([]byte{}, good...)
		b[i] ^= 0x80
		if s, ok := Read(av.H264, b); ok && s == vectors[1].s {
			t.Errorf("flipping the top bit of byte %d still read the same stamp", i)
		}
	}
}

func TestAppendAndReadDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, SizeH265)
	s := vectors[1].s
	if n := testing.AllocsPerRun(100, func() { Append(buf[:0], av.H265, s) }); n != 0 {
		t.Errorf("Append: %v allocs", n)
	}
	ab := h264.AppendAnnexB(nil, accessUnit(av.H264, s)...)
	if n := testing.AllocsPerRun(100, func() { ReadAnnexB(av.H264, ab) }); n != 0 {
		t.Errorf("ReadAnnexB: %v allocs", n)
	}
	foreign := otherSEI(av.H264)
	if n := testing.AllocsPerRun(100, func() { Read(av.H264, foreign) }); n != 0 {
		t.Errorf("Read (slow path): %v allocs", n)
	}
}

// TestLayoutIndependent checks the documented layout with math/big rather
// than with the writer's own arithmetic: the 28 groups are the 196-bit
// number Device·2^128 + Seq·2^64 + Capture in 7-bit digits.
func TestLayoutIndependent(t *testing.T) {
	for _, v := range vectors {
		n := new(big.Int).SetUint64(v.s.Device)
		n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(v.s.Seq))
		n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(uint64(v.s.Capture)))
		b := Append(nil, av.H264, v.s)
		groupsGot := b[1+2+16+1 : 1+2+16+1+28]
		for g := 27; g >= 0; g-- {
			digit := new(big.Int).And(n, big.NewInt(0x7F)).Int64()
			if groupsGot[g] != 0x80|byte(digit) {
				t.Fatalf("%s: group %d = %02x, want %02x", v.name, g, groupsGot[g], 0x80|digit)
			}
			n.Rsh(n, 7)
		}
	}
}

func TestUUIDAndAudio(t *testing.T) {
	u := UUID()
	if u[6]>>4 != 4 || u[8]>>6 != 2 {
		t.Errorf("UUID % x is not version 4, variant 1", u)
	}
	if b := Append([]byte{1}, av.AAC, vectors[1].s); len(b) != 1 {
		t.Errorf("audio stamp appended %d bytes", len(b)-1)
	}
}
