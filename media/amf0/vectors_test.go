package amf0

import (
	"math"
	"strings"
)

// vector is one AMF0 encoding: the wire bytes and the Go value they decode
// to. The same table drives the decode tests, the encode tests and the fuzz
// seeds.
type vector struct {
	name  string
	wire  []byte
	value any
	// decodeOnly marks wire forms the encoder never produces (it picks a
	// different but equivalent encoding), so only decoding is checked.
	decodeOnly bool
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func num(f float64) []byte {
	b := []byte{0x00}
	bits := math.Float64bits(f)
	for i := 7; i >= 0; i-- {
		b = append(b, byte(bits>>(8*i)))
	}
	return b
}

func str(s string) []byte {
	return cat([]byte{0x02, byte(len(s) >> 8), byte(len(s))}, []byte(s))
}

func key(s string) []byte { return cat([]byte{byte(len(s) >> 8), byte(len(s))}, []byte(s)) }

var end = []byte{0, 0, 9}

var longText = strings.Repeat("x", 70000)

var vectors = []vector{
	{name: "number zero", wire: num(0), value: 0.0},
	{name: "number one", wire: []byte{0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, value: 1.0},
	{name: "number negative fraction", wire: num(-2.5), value: -2.5},
	{name: "number capabilities", wire: num(9947.75), value: 9947.75},
	{name: "number max uint32", wire: num(4294967295), value: 4294967295.0},
	{name: "boolean true", wire: []byte{0x01, 0x01}, value: true},
	{name: "boolean false", wire: []byte{0x01, 0x00}, value: false},
	{name: "boolean nonzero is true", wire: []byte{0x01, 0x7f}, value: true, decodeOnly: true},
	{name: "string empty", wire: []byte{0x02, 0, 0}, value: ""},
	{name: "string connect", wire: []byte{0x02, 0, 7, 'c', 'o', 'n', 'n', 'e', 'c', 't'}, value: "connect"},
	{name: "string utf8", wire: str("推流成功"), value: "推流成功"},
	{name: "long string short", wire: []byte{0x0c, 0, 0, 0, 2, 'h', 'i'}, value: "hi", decodeOnly: true},
	{name: "long string 70000", wire: cat([]byte{0x0c, 0, 1, 0x11, 0x70}, []byte(longText)), value: longText},
	{name: "null", wire: []byte{0x05}, value: nil},
	{name: "undefined", wire: []byte{0x06}, value: Undefined{}},
	{name: "date epoch", wire: []byte{0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, value: Date{}},
	{name: "date with zone", wire: cat([]byte{0x0b}, num(1560096712000)[1:], []byte{0xff, 0x88}), value: Date{Millis: 1560096712000, TimeZone: -120}},
	{name: "object empty", wire: []byte{0x03, 0, 0, 9}, value: Object(nil)},
	{
		name: "object connect",
		wire: cat([]byte{0x03},
			key("app"), str("live"),
			key("tcUrl"), str("rtmp://h/live"),
			key("fpad"), []byte{0x01, 0},
			key("capabilities"), num(15),
			key("pageUrl"), []byte{0x05},
			end),
		value: Object{
			{"app", "live"},
			{"tcUrl", "rtmp://h/live"},
			{"fpad", false},
			{"capabilities", 15.0},
			{"pageUrl", nil},
		},
	},
	{
		name:  "object key order kept",
		wire:  cat([]byte{0x03}, key("z"), num(1), key("a"), num(2), end),
		value: Object{{"z", 1.0}, {"a", 2.0}},
	},
	{
		name:  "object empty key property",
		wire:  cat([]byte{0x03}, key(""), num(1), end),
		value: Object{{"", 1.0}},
	},
	{
		name: "object nested",
		wire: cat([]byte{0x03}, key("level"), str("error"), key("data"),
			[]byte{0x03}, key("subCode"), num(2), end, end),
		value: Object{{"level", "error"}, {"data", Object{{"subCode", 2.0}}}},
	},
	{
		name:  "ecma array metadata",
		wire:  cat([]byte{0x08, 0, 0, 0, 2}, key("width"), num(640), key("stereo"), []byte{0x01, 0}, end),
		value: ECMAArray{{"width", 640.0}, {"stereo", false}},
	},
	{
		name:       "ecma array wrong count",
		wire:       cat([]byte{0x08, 0, 0, 0, 9}, key("width"), num(640), end),
		value:      ECMAArray{{"width", 640.0}},
		decodeOnly: true,
	},
	{name: "ecma array empty", wire: []byte{0x08, 0, 0, 0, 0, 0, 0, 9}, value: ECMAArray(nil)},
	{name: "strict array empty", wire: []byte{0x0a, 0, 0, 0, 0}, value: StrictArray{}},
	{
		name:  "strict array mixed",
		wire:  cat([]byte{0x0a, 0, 0, 0, 3}, str("hvc1"), num(7), []byte{0x05}),
		value: StrictArray{"hvc1", 7.0, nil},
	},
	{
		name:  "strict array of objects",
		wire:  cat([]byte{0x0a, 0, 0, 0, 1}, []byte{0x03}, key("k"), []byte{0x06}, end),
		value: StrictArray{Object{{"k", Undefined{}}}},
	},
}

// badVector is malformed input and the error it must give.
type badVector struct {
	name string
	wire []byte
	err  error
}

var badVectors = []badVector{
	{"empty", nil, ErrTruncated},
	{"number truncated", []byte{0x00, 1, 2, 3}, ErrTruncated},
	{"boolean truncated", []byte{0x01}, ErrTruncated},
	{"string length beyond input", []byte{0x02, 0, 9, 'a'}, ErrTruncated},
	{"long string huge length", []byte{0x0c, 0xff, 0xff, 0xff, 0xff, 'a'}, ErrTooLong},
	{"object unterminated", cat([]byte{0x03}, key("a"), num(1)), ErrTruncated},
	{"object end alone", []byte{0x09}, ErrObjectEnd},
	{"strict array count lies", []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x05}, ErrTruncated},
	{"reference", []byte{0x07, 0, 1}, ErrUnsupported},
	{"typed object", cat([]byte{0x10}, key("C"), end), ErrUnsupported},
	{"amf3 switch", []byte{0x11, 0x01}, ErrUnsupported},
	{"movieclip", []byte{0x04}, ErrUnsupported},
	{"unknown marker", []byte{0x42}, ErrUnknownMarker},
	{"date truncated", []byte{0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrTruncated},
	{"too deep", cat(func() []byte {
		var b []byte
		for range 40 {
			b = append(b, 0x0a, 0, 0, 0, 1)
		}
		return append(b, 0x05)
	}()), ErrDepth},
}
