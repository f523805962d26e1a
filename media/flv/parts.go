package flv

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/av"
)

// Tag bodies in parts: a sender that copies a message into its chunk
// buffer anyway (rtmp's BufferVideoParts) need not assemble the tag body
// first. The parts are the body in order: the tag's own bytes (prefix,
// NAL unit length prefixes) in hdr, the frame's NAL units or payload as
// they are (shared, never copied). Their concatenation is exactly what
// AppendVideoTagBody / AppendAudioTagBody append.

// AppendVideoTagParts appends to hdr the bytes of f's coded-frame video
// tag body that are not the frame's own (the prefix and a 4-byte length
// before each NAL unit) and to parts the body's pieces in order. The
// pieces alias hdr's new bytes and f's NAL units: both must stay unchanged
// while the parts are used. hdr grows at most once. On error hdr and parts
// are returned unchanged.
func AppendVideoTagParts(hdr []byte, parts [][]byte, f *av.Frame, mode HEVCMode) ([]byte, [][]byte, error) {
	ct, err := compositionMillis(f.PTS, f.DTS)
	if err != nil {
		return hdr, parts, err
	}
	var ft byte = FrameTypeInter
	if f.Key {
		ft = FrameTypeKey
	}
	n := len(hdr)
	// the prefix is at most 8 bytes (Enhanced: byte, FourCC, SI24)
	hdr = grow(hdr, 8+4*len(f.NALUs))
	hdr, err = videoPrefix(hdr, f.Codec, mode, ft, legacyNALU, ct)
	if err != nil {
		return hdr[:n], parts, err
	}
	size := len(hdr) - n
	for _, u := range f.NALUs {
		size += 4 + len(u)
	}
	if size > MaxTagSize {
		return hdr[:n], parts, fmt.Errorf("%w: video tag body of %d bytes exceeds %d", ErrMalformed, size, MaxTagSize)
	}
	from := n // start of the hdr bytes not yet in a part
	for _, u := range f.NALUs {
		hdr = appendU32(hdr, uint32(len(u)))
		parts = append(parts, hdr[from:len(hdr):len(hdr)], u)
		from = len(hdr)
	}
	if len(f.NALUs) == 0 {
		parts = append(parts, hdr[from:len(hdr):len(hdr)])
	}
	return hdr, parts, nil
}

// AppendAudioTagParts appends to hdr the audio tag body's flag bytes and
// to parts the body's pieces: those bytes and f's payload (aliased).
func AppendAudioTagParts(hdr []byte, parts [][]byte, f *av.Frame) ([]byte, [][]byte, error) {
	n := len(hdr)
	hdr, err := appendAudioFlags(hdr, f)
	if err != nil {
		return hdr[:n], parts, err
	}
	return hdr, append(parts, hdr[n:len(hdr):len(hdr)], f.Payload), nil
}
