// Package flv builds and parses FLV (Adobe FLV v10.1) tag bodies and files,
// including H.265 both as the legacy codec id 12 used by Chinese CDNs and as
// Enhanced RTMP v1 'hvc1'.
//
// Tag bodies are what an RTMP audio or video message carries, so the
// builders are append-style (AppendVideoTagBody(dst, f, ...) []byte): the
// RTMP writer keeps one buffer per connection and builds every message into
// it without allocating. The parsers return sub-slices of their input
// (NAL units, configuration records, audio payloads), never copies.
//
// Bounds: a tag body is at most MaxTagSize bytes (the 24-bit DataSize of the
// format), a video tag body holds at most MaxNALUs NAL units, and the file
// Reader never allocates more than the declared size of the tag it is
// reading, which the format caps at MaxTagSize.
package flv
