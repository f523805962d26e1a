package amf0

// Property is one key/value pair of an Object or ECMAArray.
type Property struct {
	Key   string
	Value any
}

// Object is an AMF0 anonymous object: key/value pairs in wire order.
type Object []Property

// ECMAArray is an AMF0 ECMA (associative) array: key/value pairs in wire
// order. onMetaData is usually sent as one.
type ECMAArray []Property

// Get returns the value of the first property named key.
func (o Object) Get(key string) (any, bool) { return get(o, key) }

// String returns the string value of key, or "" when absent or not a string.
func (o Object) String(key string) string { return getString(o, key) }

// Number returns the number value of key and whether it is a number.
func (o Object) Number(key string) (float64, bool) { return getNumber(o, key) }

// Set replaces the value of key, or appends key when absent.
func (o Object) Set(key string, v any) Object { return Object(set(o, key, v)) }

// Get returns the value of the first property named key.
func (a ECMAArray) Get(key string) (any, bool) { return get(a, key) }

// String returns the string value of key, or "" when absent or not a string.
func (a ECMAArray) String(key string) string { return getString(a, key) }

// Number returns the number value of key and whether it is a number.
func (a ECMAArray) Number(key string) (float64, bool) { return getNumber(a, key) }

// Set replaces the value of key, or appends key when absent.
func (a ECMAArray) Set(key string, v any) ECMAArray { return ECMAArray(set(a, key, v)) }

func get(ps []Property, key string) (any, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

func getString(ps []Property, key string) string {
	v, _ := get(ps, key)
	s, _ := v.(string)
	return s
}

func getNumber(ps []Property, key string) (float64, bool) {
	v, _ := get(ps, key)
	f, ok := v.(float64)
	return f, ok
}

func set(ps []Property, key string, v any) []Property {
	for i := range ps {
		if ps[i].Key == key {
			ps[i].Value = v
			return ps
		}
	}
	return append(ps, Property{Key: key, Value: v})
}
