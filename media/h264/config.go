package h264

import (
	"errors"
	"fmt"
)

// DecoderConfig is the AVCDecoderConfigurationRecord of ISO/IEC 14496-15
// 5.3.3.1: the FLV/RTMP AVC sequence header and the MP4 avcC box body.
type DecoderConfig struct {
	Profile            uint8 // AVCProfileIndication
	ProfileCompat      uint8 // profile_compatibility
	Level              uint8 // AVCLevelIndication
	LengthSize         int   // NAL unit length size, 1, 2 or 4
	SPS, PPS           [][]byte
	HighProfileFields  bool // the chroma/bit-depth/SPS-ext fields are present
	ChromaFormat       uint8
	BitDepthLumaMinus8 uint8
	BitDepthChromaMin8 uint8
	SPSExt             [][]byte
}

// NewDecoderConfig builds the record for one SPS and one PPS, taking
// profile, level and (for High profiles) chroma format and bit depths from
// the SPS.
func NewDecoderConfig(sps, pps []byte) (DecoderConfig, error) {
	s, err := ParseSPS(sps)
	if err != nil {
		return DecoderConfig{}, err
	}
	if _, err := ParsePPS(pps); err != nil {
		return DecoderConfig{}, err
	}
	c := DecoderConfig{
		Profile:       s.ProfileIDC,
		ProfileCompat: s.ConstraintFlags,
		Level:         s.LevelIDC,
		LengthSize:    4,
		SPS:           [][]byte{sps},
		PPS:           [][]byte{pps},
	}
	if needsHighFields(s.ProfileIDC) {
		c.HighProfileFields = true
		c.ChromaFormat = uint8(s.ChromaFormatIDC)
		c.BitDepthLumaMinus8 = uint8(s.BitDepthLuma - 8)
		c.BitDepthChromaMin8 = uint8(s.BitDepthChroma - 8)
	}
	return c, nil
}

func needsHighFields(p uint8) bool { return p == 100 || p == 110 || p == 122 || p == 144 }

// ErrConfig is wrapped by every DecoderConfig parse error.
var ErrConfig = errors.New("h264: bad AVCDecoderConfigurationRecord")

// Append appends the serialised record to dst.
func (c *DecoderConfig) Append(dst []byte) ([]byte, error) {
	if c.LengthSize != 1 && c.LengthSize != 2 && c.LengthSize != 4 {
		return dst, ErrLengthSize
	}
	if len(c.SPS) > 31 || len(c.PPS) > 255 || len(c.SPSExt) > 255 {
		return dst, fmt.Errorf("%w: too many parameter sets", ErrConfig)
	}
	dst = append(dst, 1, c.Profile, c.ProfileCompat, c.Level, 0xFC|byte(c.LengthSize-1), 0xE0|byte(len(c.SPS)))
	var err error
	if dst, err = appendSets(dst, c.SPS); err != nil {
		return dst, err
	}
	dst = append(dst, byte(len(c.PPS)))
	if dst, err = appendSets(dst, c.PPS); err != nil {
		return dst, err
	}
	if c.HighProfileFields {
		dst = append(dst, 0xFC|c.ChromaFormat&3, 0xF8|c.BitDepthLumaMinus8&7, 0xF8|c.BitDepthChromaMin8&7, byte(len(c.SPSExt)))
		if dst, err = appendSets(dst, c.SPSExt); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func appendSets(dst []byte, sets [][]byte) ([]byte, error) {
	for _, s := range sets {
		if len(s) > 0xFFFF {
			return dst, fmt.Errorf("%w: parameter set of %d bytes", ErrConfig, len(s))
		}
		dst = append(dst, byte(len(s)>>8), byte(len(s)))
		dst = append(dst, s...)
	}
	return dst, nil
}

// ParseDecoderConfig parses a record. Parameter sets alias b. The optional
// High-profile trailer is read when present (some muxers omit it).
func ParseDecoderConfig(b []byte) (DecoderConfig, error) {
	var c DecoderConfig
	if len(b) < 7 {
		return c, fmt.Errorf("%w: %d bytes", ErrConfig, len(b))
	}
	if b[0] != 1 {
		return c, fmt.Errorf("%w: configurationVersion %d", ErrConfig, b[0])
	}
	c.Profile, c.ProfileCompat, c.Level = b[1], b[2], b[3]
	c.LengthSize = int(b[4]&3) + 1
	if c.LengthSize == 3 {
		return c, fmt.Errorf("%w: lengthSizeMinusOne 2", ErrConfig)
	}
	p := 6
	var err error
	if c.SPS, p, err = readSets(b, p, int(b[5]&0x1F)); err != nil {
		return c, err
	}
	if p >= len(b) {
		return c, fmt.Errorf("%w: missing PPS count", ErrConfig)
	}
	n := int(b[p])
	if c.PPS, p, err = readSets(b, p+1, n); err != nil {
		return c, err
	}
	if needsHighFields(c.Profile) && len(b)-p >= 4 {
		c.HighProfileFields = true
		c.ChromaFormat = b[p] & 3
		c.BitDepthLumaMinus8 = b[p+1] & 7
		c.BitDepthChromaMin8 = b[p+2] & 7
		if c.SPSExt, _, err = readSets(b, p+4, int(b[p+3])); err != nil {
			return c, err
		}
	}
	return c, nil
}

func readSets(b []byte, p, n int) ([][]byte, int, error) {
	if n == 0 {
		return nil, p, nil
	}
	sets := make([][]byte, 0, min(n, len(b)/2))
	for i := 0; i < n; i++ {
		if p+2 > len(b) {
			return nil, p, fmt.Errorf("%w: parameter set %d length past end", ErrConfig, i)
		}
		l := int(b[p])<<8 | int(b[p+1])
		p += 2
		if p+l > len(b) {
			return nil, p, fmt.Errorf("%w: parameter set %d of %d bytes past end", ErrConfig, i, l)
		}
		sets = append(sets, b[p:p+l:p+l])
		p += l
	}
	return sets, p, nil
}
