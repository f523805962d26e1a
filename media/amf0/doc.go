// Package amf0 encodes and decodes Action Message Format 0 (Adobe AMF0
// specification), the value encoding of RTMP commands and data messages.
//
// Go mapping of the AMF0 types:
//
//	number        float64
//	boolean       bool
//	string        string (encoded as long string when longer than 65535 bytes)
//	long string   string
//	object        Object (ordered key/value pairs: RTMP peers care about order)
//	null          nil
//	undefined     Undefined
//	ECMA array    ECMAArray (ordered, like Object)
//	strict array  StrictArray
//	date          Date
//
// Object end markers are consumed by the decoder and written by the encoder;
// they never appear as values. References, typed objects, movie clips,
// record sets, XML documents and the AMF3 switch are rejected with
// ErrUnsupported.
//
// Encoders are append-style (AppendXxx(b, v) []byte) and allocate only when
// b lacks room. The decoder is bounded by Limits (nesting depth, element
// count, string length) and returns an error, never panics, on malformed
// input; it never allocates more than a small multiple of the input length.
package amf0
