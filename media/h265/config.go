package h265

import (
	"errors"
	"fmt"
)

// DecoderConfig is the HEVCDecoderConfigurationRecord of ISO/IEC 14496-15
// 8.3.3.1: the body of the MP4 hvcC box, of the legacy FLV codec-12
// sequence header and of the Enhanced RTMP hvc1 SequenceStart.
type DecoderConfig struct {
	PTL                  ProfileTierLevel // MaxSubLayersMin1 unused
	MinSpatialSegment    uint16
	ParallelismType      uint8
	ChromaFormat         uint8
	BitDepthLumaMinus8   uint8
	BitDepthChromaMinus8 uint8
	AvgFrameRate         uint16 // frames per 256 s, 0 = unspecified
	ConstantFrameRate    uint8
	NumTemporalLayers    uint8
	TemporalIDNested     bool
	LengthSize           int // 1, 2 or 4
	Arrays               []NALArray
}

// NALArray is one array of parameter sets (or SEI) of one NAL unit type.
type NALArray struct {
	Complete bool // array_completeness
	Type     NALType
	NALUs    [][]byte
}

// ErrConfig is wrapped by every DecoderConfig parse error.
var ErrConfig = errors.New("h265: bad HEVCDecoderConfigurationRecord")

// NewDecoderConfig builds the record for one VPS, SPS and PPS, taking the
// profile, tier, level, chroma format and bit depths from the SPS.
func NewDecoderConfig(vps, sps, pps []byte) (DecoderConfig, error) {
	if _, err := ParseVPS(vps); err != nil {
		return DecoderConfig{}, err
	}
	s, err := ParseSPS(sps)
	if err != nil {
		return DecoderConfig{}, err
	}
	if _, err := ParsePPS(pps); err != nil {
		return DecoderConfig{}, err
	}
	c := DecoderConfig{
		PTL:                  s.PTL,
		ChromaFormat:         uint8(s.ChromaFormatIDC),
		BitDepthLumaMinus8:   uint8(s.BitDepthLuma - 8),
		BitDepthChromaMinus8: uint8(s.BitDepthChroma - 8),
		NumTemporalLayers:    s.MaxSubLayersMin1 + 1,
		TemporalIDNested:     s.TemporalIDNested,
		LengthSize:           4,
		Arrays: []NALArray{
			{Complete: true, Type: NALVPS, NALUs: [][]byte{vps}},
			{Complete: true, Type: NALSPS, NALUs: [][]byte{sps}},
			{Complete: true, Type: NALPPS, NALUs: [][]byte{pps}},
		},
	}
	c.PTL.MaxSubLayersMin1 = 0
	if fr := s.FrameRate(); fr > 0 && fr*256 < 65536 {
		c.AvgFrameRate = uint16(fr*256 + 0.5)
	}
	return c, nil
}

// ParameterSets returns the first VPS, SPS and PPS of the record (nil when
// absent).
func (c *DecoderConfig) ParameterSets() (vps, sps, pps []byte) {
	for _, a := range c.Arrays {
		if len(a.NALUs) == 0 {
			continue
		}
		switch a.Type {
		case NALVPS:
			vps = a.NALUs[0]
		case NALSPS:
			sps = a.NALUs[0]
		case NALPPS:
			pps = a.NALUs[0]
		}
	}
	return vps, sps, pps
}

// Append appends the serialised record to dst.
func (c *DecoderConfig) Append(dst []byte) ([]byte, error) {
	if c.LengthSize != 1 && c.LengthSize != 2 && c.LengthSize != 4 {
		return dst, fmt.Errorf("%w: length size %d", ErrConfig, c.LengthSize)
	}
	if len(c.Arrays) > 255 {
		return dst, fmt.Errorf("%w: %d arrays", ErrConfig, len(c.Arrays))
	}
	p := c.PTL
	dst = append(dst, 1, p.ProfileSpace<<6|b2u(p.Tier)<<5|p.ProfileIDC&0x1F,
		byte(p.CompatFlags>>24), byte(p.CompatFlags>>16), byte(p.CompatFlags>>8), byte(p.CompatFlags))
	for i := 5; i >= 0; i-- {
		dst = append(dst, byte(p.ConstraintFlags>>(8*uint(i))))
	}
	dst = append(dst, p.LevelIDC,
		0xF0|byte(c.MinSpatialSegment>>8&0x0F), byte(c.MinSpatialSegment),
		0xFC|c.ParallelismType&3, 0xFC|c.ChromaFormat&3,
		0xF8|c.BitDepthLumaMinus8&7, 0xF8|c.BitDepthChromaMinus8&7,
		byte(c.AvgFrameRate>>8), byte(c.AvgFrameRate),
		c.ConstantFrameRate<<6|(c.NumTemporalLayers&7)<<3|b2u(c.TemporalIDNested)<<2|byte(c.LengthSize-1),
		byte(len(c.Arrays)))
	for _, a := range c.Arrays {
		if len(a.NALUs) > 0xFFFF {
			return dst, fmt.Errorf("%w: %d NAL units in one array", ErrConfig, len(a.NALUs))
		}
		dst = append(dst, b2u(a.Complete)<<7|byte(a.Type)&0x3F, byte(len(a.NALUs)>>8), byte(len(a.NALUs)))
		for _, u := range a.NALUs {
			if len(u) > 0xFFFF {
				return dst, fmt.Errorf("%w: NAL unit of %d bytes", ErrConfig, len(u))
			}
			dst = append(dst, byte(len(u)>>8), byte(len(u)))
			dst = append(dst, u...)
		}
	}
	return dst, nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// recordHeaderLen is the fixed part before numOfArrays's arrays.
const recordHeaderLen = 23

// ParseDecoderConfig parses a record; NAL units alias b.
func ParseDecoderConfig(b []byte) (DecoderConfig, error) {
	var c DecoderConfig
	if len(b) < recordHeaderLen {
		return c, fmt.Errorf("%w: %d bytes", ErrConfig, len(b))
	}
	if b[0] != 1 {
		return c, fmt.Errorf("%w: configurationVersion %d", ErrConfig, b[0])
	}
	c.PTL.ProfileSpace = b[1] >> 6
	c.PTL.Tier = b[1]&0x20 != 0
	c.PTL.ProfileIDC = b[1] & 0x1F
	c.PTL.CompatFlags = uint32(b[2])<<24 | uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5])
	for i := 6; i < 12; i++ {
		c.PTL.ConstraintFlags = c.PTL.ConstraintFlags<<8 | uint64(b[i])
	}
	c.PTL.LevelIDC = b[12]
	c.MinSpatialSegment = uint16(b[13]&0x0F)<<8 | uint16(b[14])
	c.ParallelismType = b[15] & 3
	c.ChromaFormat = b[16] & 3
	c.BitDepthLumaMinus8 = b[17] & 7
	c.BitDepthChromaMinus8 = b[18] & 7
	c.AvgFrameRate = uint16(b[19])<<8 | uint16(b[20])
	c.ConstantFrameRate = b[21] >> 6
	c.NumTemporalLayers = b[21] >> 3 & 7
	c.TemporalIDNested = b[21]&4 != 0
	c.LengthSize = int(b[21]&3) + 1
	if c.LengthSize == 3 {
		return c, fmt.Errorf("%w: lengthSizeMinusOne 2", ErrConfig)
	}
	n := int(b[22])
	p := recordHeaderLen
	if n > 0 {
		c.Arrays = make([]NALArray, 0, min(n, (len(b)-p)/3))
	}
	for i := 0; i < n; i++ {
		if p+3 > len(b) {
			return c, fmt.Errorf("%w: array %d header past end", ErrConfig, i)
		}
		a := NALArray{Complete: b[p]&0x80 != 0, Type: NALType(b[p] & 0x3F)}
		k := int(b[p+1])<<8 | int(b[p+2])
		p += 3
		if k > 0 {
			a.NALUs = make([][]byte, 0, min(k, (len(b)-p)/2))
		}
		for j := 0; j < k; j++ {
			if p+2 > len(b) {
				return c, fmt.Errorf("%w: NAL unit %d of array %d: length past end", ErrConfig, j, i)
			}
			l := int(b[p])<<8 | int(b[p+1])
			p += 2
			if p+l > len(b) {
				return c, fmt.Errorf("%w: NAL unit %d of array %d: %d bytes past end", ErrConfig, j, i, l)
			}
			a.NALUs = append(a.NALUs, b[p:p+l:p+l])
			p += l
		}
		c.Arrays = append(c.Arrays, a)
	}
	return c, nil
}
