package amf0

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Decoding errors. Errors returned by the decoder wrap one of these and say
// at which byte offset decoding stopped.
var (
	ErrTruncated     = errors.New("amf0: truncated value")
	ErrUnsupported   = errors.New("amf0: unsupported type marker")
	ErrUnknownMarker = errors.New("amf0: unknown type marker")
	ErrDepth         = errors.New("amf0: nesting too deep")
	ErrTooMany       = errors.New("amf0: too many elements")
	ErrTooLong       = errors.New("amf0: string too long")
	ErrObjectEnd     = errors.New("amf0: object end marker outside an object")
)

// Limits bound what a decoder accepts from outside input.
type Limits struct {
	// MaxDepth is the deepest nesting of objects and arrays.
	MaxDepth int
	// MaxElements is the total number of values (including nested ones and
	// object properties) in one Decode or DecodeAll call.
	MaxElements int
	// MaxStringLen is the longest string or long string, in bytes.
	MaxStringLen int
}

// DefaultLimits are generous for RTMP commands and metadata while keeping a
// hostile peer from making the decoder do unbounded work.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 32, MaxElements: 1 << 16, MaxStringLen: 1 << 20}
}

// Decode decodes the first value of b with DefaultLimits and returns it with
// the number of bytes it used.
func Decode(b []byte) (any, int, error) { return DefaultLimits().Decode(b) }

// DecodeAll decodes every value of b with DefaultLimits (the arguments of a
// command or data message).
func DecodeAll(b []byte) ([]any, error) { return DefaultLimits().DecodeAll(b) }

// Decode decodes the first value of b.
func (l Limits) Decode(b []byte) (any, int, error) {
	d := decoder{l: l, b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, d.off, err
	}
	return v, d.off, nil
}

// DecodeAll decodes every value of b; the element limit covers all of them.
func (l Limits) DecodeAll(b []byte) ([]any, error) {
	d := decoder{l: l, b: b}
	var out []any
	for d.off < len(b) {
		v, err := d.value(0)
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

type decoder struct {
	l        Limits
	b        []byte
	off      int
	elements int
}

func (d *decoder) fail(err error) error {
	return fmt.Errorf("%w (offset %d)", err, d.off)
}

func (d *decoder) need(n int) error {
	if n < 0 || len(d.b)-d.off < n {
		return d.fail(ErrTruncated)
	}
	return nil
}

func (d *decoder) count() error {
	d.elements++
	if d.elements > d.l.MaxElements {
		return d.fail(ErrTooMany)
	}
	return nil
}

func (d *decoder) u16() (int, error) {
	if err := d.need(2); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint16(d.b[d.off:])
	d.off += 2
	return int(v), nil
}

func (d *decoder) u32() (uint32, error) {
	if err := d.need(4); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v, nil
}

func (d *decoder) f64() (float64, error) {
	if err := d.need(8); err != nil {
		return 0, err
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return v, nil
}

func (d *decoder) str(n int) (string, error) {
	if n > d.l.MaxStringLen {
		return "", d.fail(ErrTooLong)
	}
	if err := d.need(n); err != nil {
		return "", err
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s, nil
}

func (d *decoder) value(depth int) (any, error) {
	if err := d.need(1); err != nil {
		return nil, err
	}
	if err := d.count(); err != nil {
		return nil, err
	}
	m := Marker(d.b[d.off])
	d.off++
	switch m {
	case MarkerNumber:
		return d.f64()
	case MarkerBoolean:
		if err := d.need(1); err != nil {
			return nil, err
		}
		v := d.b[d.off] != 0
		d.off++
		return v, nil
	case MarkerString:
		n, err := d.u16()
		if err != nil {
			return nil, err
		}
		return d.str(n)
	case MarkerLongString:
		n, err := d.u32()
		if err != nil {
			return nil, err
		}
		if uint64(n) > uint64(d.l.MaxStringLen) {
			return nil, d.fail(ErrTooLong)
		}
		return d.str(int(n))
	case MarkerNull:
		return nil, nil
	case MarkerUndefined:
		return Undefined{}, nil
	case MarkerDate:
		ms, err := d.f64()
		if err != nil {
			return nil, err
		}
		tz, err := d.u16()
		if err != nil {
			return nil, err
		}
		return Date{Millis: ms, TimeZone: int16(uint16(tz))}, nil
	case MarkerObject:
		if depth >= d.l.MaxDepth {
			return nil, d.fail(ErrDepth)
		}
		ps, err := d.properties(depth + 1)
		return Object(ps), err
	case MarkerECMAArray:
		if depth >= d.l.MaxDepth {
			return nil, d.fail(ErrDepth)
		}
		// The count is advisory: peers get it wrong, and the end marker is
		// what terminates the array.
		if _, err := d.u32(); err != nil {
			return nil, err
		}
		ps, err := d.properties(depth + 1)
		return ECMAArray(ps), err
	case MarkerStrictArray:
		if depth >= d.l.MaxDepth {
			return nil, d.fail(ErrDepth)
		}
		n, err := d.u32()
		if err != nil {
			return nil, err
		}
		// Every element takes at least one byte: a count beyond the input
		// is a lie, rejected before allocating for it.
		if uint64(n) > uint64(len(d.b)-d.off) {
			return nil, d.fail(ErrTruncated)
		}
		if uint64(n) > uint64(d.l.MaxElements) {
			return nil, d.fail(ErrTooMany)
		}
		a := make(StrictArray, 0, n)
		for range n {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case MarkerObjectEnd:
		d.off--
		return nil, d.fail(ErrObjectEnd)
	case MarkerMovieClip, MarkerReference, MarkerUnsupported, MarkerRecordSet,
		MarkerXMLDocument, MarkerTypedObject, MarkerAVMPlus:
		d.off--
		return nil, d.fail(fmt.Errorf("%w 0x%02x", ErrUnsupported, byte(m)))
	}
	d.off--
	return nil, d.fail(fmt.Errorf("%w 0x%02x", ErrUnknownMarker, byte(m)))
}

// properties reads key/value pairs up to and including the object end
// marker (an empty key followed by 0x09).
func (d *decoder) properties(depth int) ([]Property, error) {
	var ps []Property
	for {
		n, err := d.u16()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if err := d.need(1); err != nil {
				return nil, err
			}
			if Marker(d.b[d.off]) == MarkerObjectEnd {
				d.off++
				return ps, nil
			}
		}
		key, err := d.str(n)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		ps = append(ps, Property{Key: key, Value: v})
	}
}
