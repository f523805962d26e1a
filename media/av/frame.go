// Package av holds the media types shared by the codecs, the containers, the
// RTMP layer and the virtual camera: a codec id and one timed frame.
package av

import (
	"fmt"
	"time"
)

// Codec identifies the coding of a stream.
type Codec uint8

const (
	CodecUnknown Codec = iota
	H264
	H265
	AAC  // AAC-LC, raw access units (no ADTS header) in Frame.Payload
	PCMA // G.711 A-law
	PCMU // G.711 µ-law
)

func (c Codec) String() string {
	switch c {
	case H264:
		return "h264"
	case H265:
		return "h265"
	case AAC:
		return "aac"
	case PCMA:
		return "pcma"
	case PCMU:
		return "pcmu"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// IsVideo reports whether c is a video codec.
func (c Codec) IsVideo() bool { return c == H264 || c == H265 }

// Frame is one access unit of one stream.
//
// Video frames are a list of NAL units without start codes or length
// prefixes, so each container writes the framing it needs (Annex-B for TS
// and the SDKs, AVCC/HVCC length prefixes for FLV and fMP4) without copying.
// A key frame carries its parameter sets (VPS/SPS/PPS) as its first NAL units.
// NAL unit byte slices may be shared between frames and between devices and
// must be treated as immutable by every reader.
//
// Audio frames carry one raw access unit in Payload (AAC without ADTS; G.711
// samples).
//
// Codec and Key come first so that they share a word (a Frame is 104
// bytes).
type Frame struct {
	Codec Codec
	// Key marks an IDR access unit (for audio: every frame is a sync frame).
	Key bool
	// Seq numbers the frames of one stream of one device from 0, in
	// generation order (video and audio count separately).
	Seq uint64
	// PTS and DTS are media timestamps from the stream's origin. Without B
	// frames they are equal.
	PTS, DTS time.Duration
	// NALUs are the video NAL units of the access unit.
	NALUs [][]byte
	// Payload is the audio access unit.
	Payload []byte
	// Capture is the scheduled capture time on the device's clock; latency
	// is measured from it.
	Capture time.Time
}

// Size is the number of media bytes in the frame (NAL units without framing,
// or the audio payload).
func (f *Frame) Size() int {
	n := len(f.Payload)
	for _, u := range f.NALUs {
		n += len(u)
	}
	return n
}

// Clone is a copy of f with a NAL unit list of its own; the bytes are
// shared (they are immutable). A sink that keeps a frame it was lent
// keeps a clone.
func (f *Frame) Clone() *Frame {
	c := *f
	if f.NALUs != nil {
		c.NALUs = append(make([][]byte, 0, len(f.NALUs)), f.NALUs...)
	}
	return &c
}
