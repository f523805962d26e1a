package bits

import (
	"errors"
	"testing"
)

// vectors shared by the read and write tests: a field sequence and its bytes.
type field struct {
	kind byte // 'u' fixed, 'e' ue, 's' se
	n    int
	v    int64
}

var vectors = []struct {
	name   string
	fields []field
	rbsp   []byte
}{
	{"ue small", []field{{'e', 0, 0}, {'e', 0, 1}, {'e', 0, 2}, {'e', 0, 3}}, []byte{0b1_010_011_0, 0b0100_0000}},
	{"se", []field{{'s', 0, 0}, {'s', 0, 1}, {'s', 0, -1}, {'s', 0, 2}}, []byte{0b1_010_011_0, 0b0100_0000}},
	{"fixed", []field{{'u', 4, 0xA}, {'u', 12, 0x5C3}, {'u', 8, 0xFF}}, []byte{0xA5, 0xC3, 0xFF}},
	{"u32", []field{{'u', 32, 0xDEADBEEF}}, []byte{0xDE, 0xAD, 0xBE, 0xEF}},
	{"ue large", []field{{'e', 0, 1<<20 - 1}}, nil},
}

func TestRoundTrip(t *testing.T) {
	for _, vec := range vectors {
		w := NewWriter(nil)
		for _, f := range vec.fields {
			switch f.kind {
			case 'u':
				w.U(f.n, uint64(f.v))
			case 'e':
				w.UE(uint64(f.v))
			case 's':
				w.SE(f.v)
			}
		}
		w.AlignZero()
		if len(vec.rbsp) > 0 && string(w.Bytes()) != string(vec.rbsp) {
			t.Errorf("%s: wrote % x, want % x", vec.name, w.Bytes(), vec.rbsp)
		}
		r := NewReader(w.Bytes())
		for i, f := range vec.fields {
			var got int64
			switch f.kind {
			case 'u':
				got = int64(r.U(f.n))
			case 'e':
				got = int64(r.UE())
			case 's':
				got = r.SE()
			}
			if got != f.v {
				t.Errorf("%s: field %d = %d, want %d", vec.name, i, got, f.v)
			}
		}
		if r.Err() != nil {
			t.Errorf("%s: %v", vec.name, r.Err())
		}
	}
}

func TestEBSPSkipsEmulationPrevention(t *testing.T) {
	r := NewEBSPReader([]byte{0x00, 0x00, 0x03, 0x01, 0xAB})
	if got := r.U(32); got != 0x000001AB {
		t.Fatalf("got %08x", got)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
}

func TestShortAndLongCodes(t *testing.T) {
	r := NewReader([]byte{0x00})
	r.U(9)
	if !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("err %v", r.Err())
	}
	r = NewReader(make([]byte, 10))
	r.UE()
	if !errors.Is(r.Err(), ErrExpGolomb) {
		t.Fatalf("err %v", r.Err())
	}
}

func TestMoreRBSPData(t *testing.T) {
	cases := []struct {
		b    []byte
		skip int
		want bool
	}{
		{[]byte{0x80}, 0, false},
		{[]byte{0xC0}, 0, true},
		{[]byte{0xC0}, 1, false},
		{[]byte{0xFF, 0x80}, 8, false},
		{[]byte{0xFF, 0x80}, 7, true},
		{[]byte{0x01, 0x00}, 7, false},
	}
	for i, c := range cases {
		r := NewReader(c.b)
		r.Skip(c.skip)
		if got := r.MoreRBSPData(); got != c.want {
			t.Errorf("case %d: got %v want %v", i, got, c.want)
		}
	}
}
