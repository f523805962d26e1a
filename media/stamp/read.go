package stamp

import (
	"bytes"

	"github.com/fleetsim/fleetsim/media/av"
)

// isSEI reports whether nalu is an SEI NAL unit of codec c (H.265: prefix
// or suffix) and returns the length of its NAL header.
func isSEI(c av.Codec, nalu []byte) (hdr int, ok bool) {
	if c == av.H265 {
		if len(nalu) < 2 {
			return 0, false
		}
		t := nalu[0] >> 1 & 0x3F
		return 2, t == 39 || t == 40
	}
	return 1, len(nalu) > 0 && nalu[0]&0x1F == 6
}

// isVCL reports whether nalu is a coded slice of codec c.
func isVCL(c av.Codec, nalu []byte) bool {
	if len(nalu) == 0 {
		return false
	}
	if c == av.H265 {
		return nalu[0]>>1&0x3F < 32
	}
	t := nalu[0] & 0x1F
	return t >= 1 && t <= 5
}

// Read returns the fleetsim stamp carried by one NAL unit (without start
// code or length prefix). ok is false when the NAL unit is not an SEI of
// codec c or holds no valid fleetsim stamp. Other SEI messages in the same
// NAL unit are skipped. Read does not allocate.
func Read(c av.Codec, nalu []byte) (s Stamp, ok bool) {
	hdr, sei := isSEI(c, nalu)
	if !sei {
		return Stamp{}, false
	}
	p := nalu[hdr:]
	// Fast path: the NAL unit is exactly one fleetsim stamp, as written.
	if len(p) == seiPrefix+payloadSize+1 && p[0] == 5 && p[1] == payloadSize {
		if s, ok := decodePayload(p[2 : 2+payloadSize]); ok {
			return s, true
		}
	}
	return scanMessages(p)
}

func decodePayload(p []byte) (Stamp, bool) {
	if len(p) < payloadSize || !bytes.Equal(p[:16], fleetsimUUID[:]) || p[16] != 0x80|Version {
		return Stamp{}, false
	}
	return decodeGroups(p[17:payloadSize])
}

// cursor reads an SEI RBSP from its escaped bytes, dropping emulation
// prevention bytes on the fly.
type cursor struct {
	b     []byte
	i     int
	zeros int
}

func (c *cursor) next() (byte, bool) {
	if c.i >= len(c.b) {
		return 0, false
	}
	v := c.b[c.i]
	c.i++
	if c.zeros >= 2 && v == 3 {
		c.zeros = 0
		if c.i >= len(c.b) {
			return 0, false
		}
		v = c.b[c.i]
		c.i++
	}
	if v == 0 {
		c.zeros++
	} else {
		c.zeros = 0
	}
	return v, true
}

// value reads a payloadType or payloadSize (0xFF bytes add 255).
func (c *cursor) value() (int, bool) {
	n := 0
	for {
		v, ok := c.next()
		if !ok {
			return 0, false
		}
		n += int(v)
		if v != 0xFF {
			return n, true
		}
		if n > 1<<20 {
			return 0, false
		}
	}
}

// scanMessages walks the sei_message()s of an SEI RBSP.
func scanMessages(p []byte) (Stamp, bool) {
	c := cursor{b: p}
	for {
		// more_rbsp_data: stop at the rbsp_stop_one_bit byte.
		if c.i >= len(p) || (c.i == len(p)-1 && p[c.i] == 0x80) {
			return Stamp{}, false
		}
		typ, ok := c.value()
		if !ok {
			return Stamp{}, false
		}
		size, ok := c.value()
		if !ok {
			return Stamp{}, false
		}
		if size > len(p)-c.i {
			return Stamp{}, false // the message runs past the NAL unit
		}
		if typ == 5 && size >= payloadSize {
			var buf [payloadSize]byte
			for k := range buf {
				if buf[k], ok = c.next(); !ok {
					return Stamp{}, false
				}
			}
			if s, ok := decodePayload(buf[:]); ok {
				return s, true
			}
			size -= payloadSize
		}
		for ; size > 0; size-- {
			if _, ok := c.next(); !ok {
				return Stamp{}, false
			}
		}
	}
}

// ReadNALUs returns the first stamp among the SEI NAL units that precede
// the first slice of an access unit given as a NAL unit list (av.Frame
// NALUs). The TS and fMP4 verifiers call it (or ReadAnnexB / ReadAVCC) once
// per access unit.
func ReadNALUs(c av.Codec, nalus [][]byte) (Stamp, bool) {
	for _, u := range nalus {
		if isVCL(c, u) {
			break
		}
		if s, ok := Read(c, u); ok {
			return s, true
		}
	}
	return Stamp{}, false
}

// ReadAnnexB returns the stamp of an access unit in Annex-B form (a TS PES
// payload, an SDK frame). It reads NAL units up to the first slice, so its
// cost does not grow with the picture size, and does not allocate.
func ReadAnnexB(c av.Codec, au []byte) (Stamp, bool) {
	i := startCodeEnd(au, 0)
	for i >= 0 && i < len(au) {
		if isVCL(c, au[i:]) {
			return Stamp{}, false
		}
		next := startCodeEnd(au, i)
		end := len(au)
		if next >= 0 {
			end = next - 3
			for end > i && au[end-1] == 0 {
				end--
			}
		}
		if _, sei := isSEI(c, au[i:end]); sei {
			if s, ok := Read(c, au[i:end]); ok {
				return s, true
			}
		}
		i = next
	}
	return Stamp{}, false
}

// startCodeEnd returns the index after the next 00 00 01 at or after i, or
// -1.
func startCodeEnd(b []byte, i int) int {
	for j := i; j+2 < len(b); {
		if b[j+2] > 1 {
			j += 3
			continue
		}
		if b[j+2] == 1 && b[j+1] == 0 && b[j] == 0 {
			return j + 3
		}
		j++
	}
	return -1
}

// ReadAVCC returns the stamp of an access unit in length-prefixed form (an
// MP4 sample, an FLV/RTMP video payload) with NAL lengths of lengthSize
// bytes (1–4). It does not allocate.
func ReadAVCC(c av.Codec, au []byte, lengthSize int) (Stamp, bool) {
	if lengthSize < 1 || lengthSize > 4 {
		return Stamp{}, false
	}
	for len(au) >= lengthSize {
		n := 0
		for _, b := range au[:lengthSize] {
			n = n<<8 | int(b)
		}
		au = au[lengthSize:]
		if n > len(au) {
			return Stamp{}, false
		}
		u := au[:n]
		if isVCL(c, u) {
			return Stamp{}, false
		}
		if s, ok := Read(c, u); ok {
			return s, true
		}
		au = au[n:]
	}
	return Stamp{}, false
}

// FLV video tag layout (FLV v10.1 E.4.3.1 and Enhanced RTMP v1).
const (
	flvCodecAVC     = 7
	flvCodecHEVC    = 12
	flvPacketNALU   = 1 // AVCPacketType / Enhanced CodedFrames
	flvPacketFrameX = 3 // Enhanced CodedFramesX: no composition time
)

// ReadFLVVideo returns the stamp of an FLV video tag body, which is also
// the payload of an RTMP video message: legacy AVC (codec id 7), legacy
// HEVC (codec id 12) and Enhanced RTMP avc1/hvc1 coded frames, with 4-byte
// NAL lengths (what every muxer writes: the record's lengthSizeMinusOne 3).
// Sequence headers and other packets carry no stamp.
func ReadFLVVideo(body []byte) (Stamp, bool) {
	if len(body) < 5 {
		return Stamp{}, false
	}
	if body[0]&0x80 != 0 { // Enhanced RTMP ex-header
		var c av.Codec
		switch string(body[1:5]) {
		case "avc1":
			c = av.H264
		case "hvc1":
			c = av.H265
		default:
			return Stamp{}, false
		}
		switch body[0] & 0x0F {
		case flvPacketNALU:
			if len(body) < 8 {
				return Stamp{}, false
			}
			return ReadAVCC(c, body[8:], 4)
		case flvPacketFrameX:
			return ReadAVCC(c, body[5:], 4)
		}
		return Stamp{}, false
	}
	var c av.Codec
	switch body[0] & 0x0F {
	case flvCodecAVC:
		c = av.H264
	case flvCodecHEVC:
		c = av.H265
	default:
		return Stamp{}, false
	}
	if body[1] != flvPacketNALU {
		return Stamp{}, false
	}
	return ReadAVCC(c, body[5:], 4)
}
