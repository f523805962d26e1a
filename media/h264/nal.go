// Package h264 parses and synthesises H.264/AVC bitstreams: NAL unit types,
// the Annex-B byte stream and the AVCC length-prefixed framing (both also
// used by H.265), emulation prevention, SPS/PPS parsing, the
// AVCDecoderConfigurationRecord of ISO/IEC 14496-15, and access units that
// decode without an encoder (synth.go).
package h264

// NALType is nal_unit_type (ITU-T H.264 Table 7-1).
type NALType uint8

const (
	NALSlice     NALType = 1  // coded slice of a non-IDR picture
	NALSliceDPA  NALType = 2  // data partition A
	NALSliceDPB  NALType = 3  // data partition B
	NALSliceDPC  NALType = 4  // data partition C
	NALIDR       NALType = 5  // coded slice of an IDR picture
	NALSEI       NALType = 6  // supplemental enhancement information
	NALSPS       NALType = 7  // sequence parameter set
	NALPPS       NALType = 8  // picture parameter set
	NALAUD       NALType = 9  // access unit delimiter
	NALEndSeq    NALType = 10 // end of sequence
	NALEndStream NALType = 11 // end of stream
	NALFiller    NALType = 12 // filler data
	NALSPSExt    NALType = 13 // sequence parameter set extension
	NALPrefix    NALType = 14 // prefix NAL unit (SVC)
	NALSubsetSPS NALType = 15 // subset sequence parameter set
	NALSliceAux  NALType = 19 // auxiliary coded picture slice
	NALSliceExt  NALType = 20 // coded slice extension (SVC/MVC)
)

// Type returns the nal_unit_type of a NAL unit (0 for an empty one).
func Type(nalu []byte) NALType {
	if len(nalu) == 0 {
		return 0
	}
	return NALType(nalu[0] & 0x1F)
}

// RefIDC returns nal_ref_idc of a NAL unit.
func RefIDC(nalu []byte) uint8 {
	if len(nalu) == 0 {
		return 0
	}
	return nalu[0] >> 5 & 3
}

// IsVCL reports whether t is a coded slice type (1–5).
func (t NALType) IsVCL() bool { return t >= NALSlice && t <= NALIDR }

func (t NALType) String() string {
	switch t {
	case NALSlice:
		return "slice"
	case NALSliceDPA:
		return "slice-dpa"
	case NALSliceDPB:
		return "slice-dpb"
	case NALSliceDPC:
		return "slice-dpc"
	case NALIDR:
		return "idr"
	case NALSEI:
		return "sei"
	case NALSPS:
		return "sps"
	case NALPPS:
		return "pps"
	case NALAUD:
		return "aud"
	case NALEndSeq:
		return "end-of-seq"
	case NALEndStream:
		return "end-of-stream"
	case NALFiller:
		return "filler"
	case NALSPSExt:
		return "sps-ext"
	case NALPrefix:
		return "prefix"
	case NALSubsetSPS:
		return "subset-sps"
	case NALSliceAux:
		return "slice-aux"
	case NALSliceExt:
		return "slice-ext"
	}
	return "nal(" + itoa(int(t)) + ")"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// IsKeyFrame reports whether an access unit contains an IDR slice.
func IsKeyFrame(nalus [][]byte) bool {
	for _, u := range nalus {
		if Type(u) == NALIDR {
			return true
		}
	}
	return false
}
