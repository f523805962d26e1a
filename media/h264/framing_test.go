package h264

import (
	"bytes"
	"errors"
	"testing"
)

func TestAnnexBAndAVCCRoundTrip(t *testing.T) {
	for _, v := range spsVectors {
		nalus := [][]byte{mustHex(t, v.sps), mustHex(t, v.pps), {0x65, 0x88, 0x00, 0x00, 0x03, 0x01}}
		ab := AppendAnnexB(nil, nalus...)
		if len(ab) != AnnexBSize(nalus) {
			t.Fatalf("AnnexBSize %d, wrote %d", AnnexBSize(nalus), len(ab))
		}
		got, err := SplitAnnexB(nil, ab)
		if err != nil || !equalNALUs(got, nalus) {
			t.Fatalf("%s: SplitAnnexB = %x, %v", v.name, got, err)
		}
		for _, ls := range []int{1, 2, 3, 4} {
			avcc, err := AppendAVCC(nil, ls, nalus...)
			if err != nil {
				t.Fatal(err)
			}
			if len(avcc) != AVCCSize(nalus, ls) {
				t.Fatalf("AVCCSize mismatch")
			}
			got, err := SplitAVCC(nil, avcc, ls)
			if err != nil || !equalNALUs(got, nalus) {
				t.Fatalf("%s: SplitAVCC(%d) = %x, %v", v.name, ls, got, err)
			}
			back, err := AVCCToAnnexB(nil, avcc, ls)
			if err != nil || !bytes.Equal(back, ab) {
				t.Fatalf("AVCCToAnnexB: %x, %v", back, err)
			}
		}
		avcc, err := AnnexBToAVCC(nil, ab)
		if err != nil {
			t.Fatal(err)
		}
		got, _ = SplitAVCC(nil, avcc, 4)
		if !equalNALUs(got, nalus) {
			t.Fatal("AnnexBToAVCC lost NAL units")
		}
	}
}

func equalNALUs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestSplitAnnexBForms(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want [][]byte
		err  error
	}{
		{"3-byte codes", []byte{0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0xAA}, [][]byte{{0x09, 0xF0}, {0x65, 0xAA}}, nil},
		{"leading zeros and trailing zeros", []byte{0, 0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 0, 1, 0x68}, [][]byte{{0x67, 0x42}, {0x68}}, nil},
		{"empty NAL skipped", []byte{0, 0, 1, 0, 0, 1, 0x06, 0x05}, [][]byte{{0x06, 0x05}}, nil},
		{"no start code", []byte{0x67, 0x42}, nil, ErrNoStartCode},
		{"only zeros", []byte{0, 0, 0}, nil, ErrNoStartCode},
		{"empty", nil, nil, ErrNoStartCode},
	}
	for _, c := range cases {
		got, err := SplitAnnexB(nil, c.in)
		if !errors.Is(err, c.err) || (err == nil && !equalNALUs(got, c.want)) {
			t.Errorf("%s: got %x, %v", c.name, got, err)
		}
	}
}

func TestSplitAVCCErrors(t *testing.T) {
	if _, err := SplitAVCC(nil, []byte{0, 0, 0, 9, 1}, 4); err == nil {
		t.Error("overlong length accepted")
	}
	if _, err := SplitAVCC(nil, []byte{0, 0}, 4); err == nil {
		t.Error("truncated length accepted")
	}
	if _, err := SplitAVCC(nil, nil, 5); !errors.Is(err, ErrLengthSize) {
		t.Error("length size 5 accepted")
	}
	if _, err := AppendAVCC(nil, 1, make([]byte, 256)); err == nil {
		t.Error("256-byte NAL with 1-byte length accepted")
	}
}

func TestEscapeVectors(t *testing.T) {
	cases := []struct{ rbsp, ebsp []byte }{
		{[]byte{0, 0, 0, 0}, []byte{0, 0, 3, 0, 0, 3}},
		{[]byte{0, 0, 1}, []byte{0, 0, 3, 1}},
		{[]byte{0, 0, 2, 0, 0, 3}, []byte{0, 0, 3, 2, 0, 0, 3, 3}},
		{[]byte{0, 0, 4}, []byte{0, 0, 4}},
		{[]byte{1, 0, 0, 0, 0, 1}, []byte{1, 0, 0, 3, 0, 0, 3, 1}},
		{[]byte{0x80}, []byte{0x80}},
	}
	for _, c := range cases {
		if got := AppendEscaped(nil, c.rbsp); !bytes.Equal(got, c.ebsp) {
			t.Errorf("escape % x = % x, want % x", c.rbsp, got, c.ebsp)
		}
		if NeedsEscape(c.rbsp) != !bytes.Equal(c.rbsp, c.ebsp) {
			t.Errorf("NeedsEscape(% x) wrong", c.rbsp)
		}
		// A trailing 03 after a final zero is the cabac_zero_word escape;
		// unescaping drops it.
		if got := AppendUnescaped(nil, c.ebsp); !bytes.Equal(got, c.rbsp) {
			t.Errorf("unescape % x = % x, want % x", c.ebsp, got, c.rbsp)
		}
	}
}
