// Package h265 parses and synthesises H.265/HEVC bitstreams: NAL unit types
// and headers, VPS/SPS/PPS parsing, the HEVCDecoderConfigurationRecord of
// ISO/IEC 14496-15 8.3.3, and access units that decode without an encoder
// (synth.go). Annex-B and length-prefixed framing and emulation prevention
// are the same as H.264's: use h264.SplitAnnexB, h264.AppendAVCC and
// friends.
package h265

// NALType is nal_unit_type (ITU-T H.265 Table 7-1).
type NALType uint8

const (
	NALTrailN    NALType = 0
	NALTrailR    NALType = 1
	NALTSAN      NALType = 2
	NALTSAR      NALType = 3
	NALSTSAN     NALType = 4
	NALSTSAR     NALType = 5
	NALRADLN     NALType = 6
	NALRADLR     NALType = 7
	NALRASLN     NALType = 8
	NALRASLR     NALType = 9
	NALBLAWLP    NALType = 16
	NALBLAWRADL  NALType = 17
	NALBLANLP    NALType = 18
	NALIDRWRADL  NALType = 19
	NALIDRNLP    NALType = 20
	NALCRA       NALType = 21
	NALVPS       NALType = 32
	NALSPS       NALType = 33
	NALPPS       NALType = 34
	NALAUD       NALType = 35
	NALEOS       NALType = 36
	NALEOB       NALType = 37
	NALFiller    NALType = 38 // FD_NUT
	NALSEIPrefix NALType = 39
	NALSEISuffix NALType = 40
)

// Type returns the nal_unit_type of a NAL unit (0 for one shorter than its
// two-byte header).
func Type(nalu []byte) NALType {
	if len(nalu) < 2 {
		return 0
	}
	return NALType(nalu[0] >> 1 & 0x3F)
}

// Header builds a two-byte NAL unit header with nuh_layer_id 0 and
// nuh_temporal_id_plus1 1.
func Header(t NALType) [2]byte { return [2]byte{byte(t) << 1, 1} }

// IsVCL reports whether t is a coded slice segment type (0–31).
func (t NALType) IsVCL() bool { return t < 32 }

// IsIRAP reports whether t is an intra random access point (16–23).
func (t NALType) IsIRAP() bool { return t >= 16 && t <= 23 }

// IsIDR reports whether t is an IDR picture type.
func (t NALType) IsIDR() bool { return t == NALIDRWRADL || t == NALIDRNLP }

// IsKeyFrame reports whether an access unit contains an IRAP slice.
func IsKeyFrame(nalus [][]byte) bool {
	for _, u := range nalus {
		if Type(u).IsIRAP() && len(u) >= 2 {
			return true
		}
	}
	return false
}
