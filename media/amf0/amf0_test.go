package amf0

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			got, n, err := Decode(v.wire)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if n != len(v.wire) {
				t.Errorf("used %d bytes, want %d", n, len(v.wire))
			}
			if d := cmp.Diff(v.value, got); d != "" {
				t.Errorf("value (-want +got):\n%s", d)
			}
		})
	}
}

func TestEncodeVectors(t *testing.T) {
	for _, v := range vectors {
		if v.decodeOnly {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			got, err := AppendValue(nil, v.value)
			if err != nil {
				t.Fatalf("AppendValue: %v", err)
			}
			if !bytes.Equal(got, v.wire) {
				t.Errorf("wire\n got % x\nwant % x", trunc(got), trunc(v.wire))
			}
		})
	}
}

func trunc(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func TestDecodeAllConcatenatedVectors(t *testing.T) {
	var wire []byte
	var want []any
	for _, v := range vectors {
		wire = append(wire, v.wire...)
		want = append(want, v.value)
	}
	got, err := DecodeAll(wire)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, v := range badVectors {
		t.Run(v.name, func(t *testing.T) {
			_, _, err := Decode(v.wire)
			if !errors.Is(err, v.err) {
				t.Fatalf("err = %v, want %v", err, v.err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	obj := Object{{"a", 1.0}, {"b", "xyz"}, {"c", StrictArray{1.0, 2.0}}}
	wire, err := AppendObject(nil, obj)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		l    Limits
		err  error
	}{
		{"defaults", DefaultLimits(), nil},
		{"elements", Limits{MaxDepth: 8, MaxElements: 4, MaxStringLen: 10}, ErrTooMany},
		{"depth", Limits{MaxDepth: 1, MaxElements: 100, MaxStringLen: 10}, ErrDepth},
		{"string", Limits{MaxDepth: 8, MaxElements: 100, MaxStringLen: 2}, ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.l.Decode(wire)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestAppendValueGoTypes(t *testing.T) {
	tests := []struct {
		in   any
		want any
	}{
		{int(7), 7.0}, {int8(-1), -1.0}, {int16(3), 3.0}, {int32(4), 4.0}, {int64(5), 5.0},
		{uint(6), 6.0}, {uint8(7), 7.0}, {uint16(8), 8.0}, {uint32(9), 9.0}, {uint64(10), 10.0},
		{float32(1.5), 1.5},
		{[]any{"a"}, StrictArray{"a"}},
		{time.UnixMilli(1560096712000), Date{Millis: 1560096712000}},
	}
	for _, tc := range tests {
		b, err := AppendValue(nil, tc.in)
		if err != nil {
			t.Fatalf("%T: %v", tc.in, err)
		}
		got, _, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%T (-want +got):\n%s", tc.in, d)
		}
	}
	if _, err := AppendValue(nil, map[string]any{}); err == nil {
		t.Error("map encoded; want an error (unordered)")
	}
	if _, err := AppendObject(nil, Object{{"k", struct{}{}}}); err == nil {
		t.Error("struct value encoded; want an error")
	}
}

func TestObjectAccessors(t *testing.T) {
	o := Object{{"code", "NetStream.Publish.Start"}, {"n", 3.0}}
	if o.String("code") != "NetStream.Publish.Start" || o.String("n") != "" || o.String("x") != "" {
		t.Error("String accessor")
	}
	if n, ok := o.Number("n"); !ok || n != 3 {
		t.Error("Number accessor")
	}
	if _, ok := o.Number("code"); ok {
		t.Error("Number of a string")
	}
	o = o.Set("n", 4.0).Set("new", true)
	if d := cmp.Diff(Object{{"code", "NetStream.Publish.Start"}, {"n", 4.0}, {"new", true}}, o); d != "" {
		t.Error(d)
	}
	a := ECMAArray{}.Set("width", 640.0)
	if w, _ := a.Number("width"); w != 640 || a.String("width") != "" {
		t.Error("ECMAArray accessors")
	}
	if v, ok := a.Get("width"); !ok || v != 640.0 {
		t.Error("Get")
	}
	if DateOf(time.UnixMilli(5)).Time() != time.UnixMilli(5).UTC() {
		t.Error("date round trip")
	}
}

// TestAppendNoAllocWithRoom checks the append-style encoders do not allocate
// when the buffer has room.
func TestAppendNoAllocWithRoom(t *testing.T) {
	buf := make([]byte, 0, 512)
	obj := Object{{"level", "status"}, {"code", "NetStream.Publish.Start"}, {"description", "ok"}}
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendString(buf[:0], "onStatus")
		b = AppendNumber(b, 0)
		b = AppendNull(b)
		b, _ = AppendObject(b, obj)
		_ = b
	})
	if allocs != 0 {
		t.Errorf("allocs = %v, want 0", allocs)
	}
}

func FuzzDecode(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.wire)
	}
	for _, v := range badVectors {
		f.Add(v.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := DecodeAll(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes, and decodes again to the same values.
		wire, err := AppendValues(nil, vs...)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := DecodeAll(wire)
		if err != nil {
			t.Fatalf("decode re-encoded: %v", err)
		}
		if d := cmp.Diff(vs, again, cmp.Comparer(func(a, b float64) bool {
			return a == b || (a != a && b != b)
		})); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}

func BenchmarkDecodeConnect(b *testing.B) {
	var wire []byte
	for _, v := range vectors {
		if v.name == "object connect" {
			wire = v.wire
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(wire); err != nil {
			b.Fatal(err)
		}
	}
}
