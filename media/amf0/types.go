package amf0

import (
	"math"
	"time"
)

// Marker is the type byte that starts every AMF0 value.
type Marker byte

// AMF0 type markers.
const (
	MarkerNumber      Marker = 0x00
	MarkerBoolean     Marker = 0x01
	MarkerString      Marker = 0x02
	MarkerObject      Marker = 0x03
	MarkerMovieClip   Marker = 0x04
	MarkerNull        Marker = 0x05
	MarkerUndefined   Marker = 0x06
	MarkerReference   Marker = 0x07
	MarkerECMAArray   Marker = 0x08
	MarkerObjectEnd   Marker = 0x09
	MarkerStrictArray Marker = 0x0A
	MarkerDate        Marker = 0x0B
	MarkerLongString  Marker = 0x0C
	MarkerUnsupported Marker = 0x0D
	MarkerRecordSet   Marker = 0x0E
	MarkerXMLDocument Marker = 0x0F
	MarkerTypedObject Marker = 0x10
	MarkerAVMPlus     Marker = 0x11
)

// Undefined is the AMF0 undefined value.
type Undefined struct{}

// StrictArray is an AMF0 strict array: a dense, ordered list of values.
type StrictArray []any

// Date is an AMF0 date: milliseconds since the Unix epoch (UTC) and a
// time-zone field that the specification reserves (should be 0) but some
// peers fill with an offset in minutes.
type Date struct {
	Millis   float64
	TimeZone int16
}

// DateOf returns the Date of t.
func DateOf(t time.Time) Date {
	return Date{Millis: float64(t.UnixMilli())}
}

// Time returns the date as a time.Time in UTC. Non-finite dates give the
// zero time.
func (d Date) Time() time.Time {
	if math.IsNaN(d.Millis) || math.IsInf(d.Millis, 0) {
		return time.Time{}
	}
	return time.UnixMilli(int64(d.Millis)).UTC()
}
