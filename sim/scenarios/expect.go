package scenarios

import (
	"reflect"

	"github.com/fleetsim/fleetsim/sim/units"
)

// expecter lets a scenario type say what it expects in messages.
type expecter interface{ expected() string }

var unitExpectations = map[reflect.Type]string{
	reflect.TypeFor[units.Bitrate]():   "a bit rate such as 512k or 4mbit",
	reflect.TypeFor[units.ByteSize]():  "a size such as 800KiB or 1MiB",
	reflect.TypeFor[units.Ratio]():     "a ratio such as 0.2% or 0.002 (0% to 100%)",
	reflect.TypeFor[units.Duration]():  "a duration such as 20ms, 10s, 5m or 2d",
	reflect.TypeFor[units.Frequency](): "a frequency such as 6/h or 0.5/s",
}

// expectation describes what a value of type t looks like in a file.
func expectation(t reflect.Type) string {
	if s, ok := unitExpectations[t]; ok {
		return s
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(reflect.TypeFor[expecter]()) {
		return reflect.New(t).Interface().(expecter).expected()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expectation(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float64:
		return "a number"
	case reflect.Struct:
		return "a mapping with keys " + oneOf(fieldNames(fieldsOf(t)))
	case reflect.Map:
		return "a mapping of names"
	case reflect.Slice:
		return "a list"
	}
	return "a value"
}
