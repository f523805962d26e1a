package amf0

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// maxShortString is the longest string that fits the 16-bit length of an
// AMF0 string; longer strings are written as long strings.
const maxShortString = math.MaxUint16

// AppendNumber appends an AMF0 number.
func AppendNumber(b []byte, f float64) []byte {
	b = append(b, byte(MarkerNumber))
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

// AppendBool appends an AMF0 boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, byte(MarkerBoolean), 1)
	}
	return append(b, byte(MarkerBoolean), 0)
}

// AppendString appends s as an AMF0 string, or as a long string when it is
// longer than 65535 bytes.
func AppendString(b []byte, s string) []byte {
	if len(s) > maxShortString {
		return AppendLongString(b, s)
	}
	b = append(b, byte(MarkerString))
	return appendKey(b, s)
}

// AppendLongString appends s as an AMF0 long string (32-bit length) whatever
// its length.
func AppendLongString(b []byte, s string) []byte {
	b = append(b, byte(MarkerLongString))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// AppendNull appends an AMF0 null.
func AppendNull(b []byte) []byte { return append(b, byte(MarkerNull)) }

// AppendUndefined appends an AMF0 undefined.
func AppendUndefined(b []byte) []byte { return append(b, byte(MarkerUndefined)) }

// AppendDate appends an AMF0 date.
func AppendDate(b []byte, d Date) []byte {
	b = append(b, byte(MarkerDate))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(d.Millis))
	return binary.BigEndian.AppendUint16(b, uint16(d.TimeZone))
}

// AppendObject appends an AMF0 anonymous object. Keys longer than 65535
// bytes and values of unsupported Go types are errors.
func AppendObject(b []byte, o Object) ([]byte, error) {
	b = append(b, byte(MarkerObject))
	return appendProperties(b, o)
}

// AppendECMAArray appends an AMF0 ECMA array. Its count field is the number
// of properties.
func AppendECMAArray(b []byte, a ECMAArray) ([]byte, error) {
	b = append(b, byte(MarkerECMAArray))
	b = binary.BigEndian.AppendUint32(b, uint32(len(a)))
	return appendProperties(b, a)
}

// AppendStrictArray appends an AMF0 strict array.
func AppendStrictArray(b []byte, a StrictArray) ([]byte, error) {
	b = append(b, byte(MarkerStrictArray))
	b = binary.BigEndian.AppendUint32(b, uint32(len(a)))
	var err error
	for _, v := range a {
		if b, err = AppendValue(b, v); err != nil {
			return b, err
		}
	}
	return b, nil
}

// AppendValue appends v in the encoding its Go type maps to (see the package
// comment). Go integer and float32 types are written as numbers, time.Time as
// a date and []any as a strict array. Other types are an error.
func AppendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return AppendNull(b), nil
	case float64:
		return AppendNumber(b, v), nil
	case bool:
		return AppendBool(b, v), nil
	case string:
		return AppendString(b, v), nil
	case Object:
		return AppendObject(b, v)
	case ECMAArray:
		return AppendECMAArray(b, v)
	case StrictArray:
		return AppendStrictArray(b, v)
	case []any:
		return AppendStrictArray(b, v)
	case Undefined:
		return AppendUndefined(b), nil
	case Date:
		return AppendDate(b, v), nil
	case time.Time:
		return AppendDate(b, DateOf(v)), nil
	case int:
		return AppendNumber(b, float64(v)), nil
	case int8:
		return AppendNumber(b, float64(v)), nil
	case int16:
		return AppendNumber(b, float64(v)), nil
	case int32:
		return AppendNumber(b, float64(v)), nil
	case int64:
		return AppendNumber(b, float64(v)), nil
	case uint:
		return AppendNumber(b, float64(v)), nil
	case uint8:
		return AppendNumber(b, float64(v)), nil
	case uint16:
		return AppendNumber(b, float64(v)), nil
	case uint32:
		return AppendNumber(b, float64(v)), nil
	case uint64:
		return AppendNumber(b, float64(v)), nil
	case float32:
		return AppendNumber(b, float64(v)), nil
	}
	return b, fmt.Errorf("amf0: cannot encode Go type %T", v)
}

// AppendValues appends each value in turn, as the arguments of a command.
func AppendValues(b []byte, vs ...any) ([]byte, error) {
	var err error
	for _, v := range vs {
		if b, err = AppendValue(b, v); err != nil {
			return b, err
		}
	}
	return b, nil
}

func appendKey(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendProperties(b []byte, ps []Property) ([]byte, error) {
	var err error
	for _, p := range ps {
		if len(p.Key) > maxShortString {
			return b, fmt.Errorf("amf0: object key of %d bytes exceeds 65535", len(p.Key))
		}
		b = appendKey(b, p.Key)
		if b, err = AppendValue(b, p.Value); err != nil {
			return b, err
		}
	}
	return append(b, 0, 0, byte(MarkerObjectEnd)), nil
}
