package flv

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/amf0"
)

// VideoCodecIDHVC1 is the onMetaData videocodecid of Enhanced RTMP H.265:
// the FourCC 'hvc1' read as a big-endian number.
const VideoCodecIDHVC1 = 0x68766331

// Metadata is the onMetaData script tag of an FLV file or the
// @setDataFrame data message of an RTMP publisher. Zero fields are left
// out when encoding and mean "absent" when decoding.
type Metadata struct {
	Width, Height   float64
	FrameRate       float64
	VideoCodecID    float64 // 7 AVC, 12 legacy HEVC, VideoCodecIDHVC1
	VideoDataRate   float64 // kbit/s, as the convention has it
	AudioCodecID    float64 // 10 AAC, 7 A-law, 8 µ-law
	AudioSampleRate float64 // Hz
	AudioSampleSize float64 // bits
	AudioDataRate   float64 // kbit/s
	Stereo          bool
	Duration        float64 // seconds
}

// ScriptOnMetaData is the name of the metadata script data object.
const ScriptOnMetaData = "onMetaData"

// AppendMetadataBody appends a script tag body: the string "onMetaData"
// and an ECMA array of the non-zero fields of m.
func AppendMetadataBody(dst []byte, m Metadata) ([]byte, error) {
	arr := make(amf0.ECMAArray, 0, 11)
	num := func(k string, v float64) {
		if v != 0 {
			arr = append(arr, amf0.Property{Key: k, Value: v})
		}
	}
	num("duration", m.Duration)
	num("width", m.Width)
	num("height", m.Height)
	num("framerate", m.FrameRate)
	num("videocodecid", m.VideoCodecID)
	num("videodatarate", m.VideoDataRate)
	num("audiocodecid", m.AudioCodecID)
	num("audiosamplerate", m.AudioSampleRate)
	num("audiosamplesize", m.AudioSampleSize)
	num("audiodatarate", m.AudioDataRate)
	if m.AudioCodecID != 0 {
		arr = append(arr, amf0.Property{Key: "stereo", Value: m.Stereo})
	}
	dst = amf0.AppendString(dst, ScriptOnMetaData)
	return amf0.AppendECMAArray(dst, arr)
}

// ParseMetadataBody decodes a script tag body holding onMetaData (object or
// ECMA array). Unknown keys are ignored; a known key of the wrong type is
// an error. Decoding is bounded by amf0.DefaultLimits.
func ParseMetadataBody(body []byte) (Metadata, error) {
	var m Metadata
	name, n, err := amf0.Decode(body)
	if err != nil {
		return m, fmt.Errorf("%w: script name: %v", ErrMalformed, err)
	}
	if s, ok := name.(string); !ok || s != ScriptOnMetaData {
		return m, fmt.Errorf("%w: script data %v is not onMetaData", ErrUnsupported, name)
	}
	v, _, err := amf0.Decode(body[n:])
	if err != nil {
		return m, fmt.Errorf("%w: onMetaData value: %v", ErrMalformed, err)
	}
	var props []amf0.Property
	switch o := v.(type) {
	case amf0.ECMAArray:
		props = o
	case amf0.Object:
		props = o
	default:
		return m, fmt.Errorf("%w: onMetaData is %T, want object or ECMA array", ErrMalformed, v)
	}
	fields := map[string]*float64{
		"duration": &m.Duration, "width": &m.Width, "height": &m.Height,
		"framerate": &m.FrameRate, "videocodecid": &m.VideoCodecID,
		"videodatarate": &m.VideoDataRate, "audiocodecid": &m.AudioCodecID,
		"audiosamplerate": &m.AudioSampleRate, "audiosamplesize": &m.AudioSampleSize,
		"audiodatarate": &m.AudioDataRate,
	}
	for _, p := range props {
		if p.Key == "stereo" {
			b, ok := p.Value.(bool)
			if !ok {
				return m, fmt.Errorf("%w: onMetaData stereo is %T", ErrMalformed, p.Value)
			}
			m.Stereo = b
			continue
		}
		dst, ok := fields[p.Key]
		if !ok {
			continue
		}
		f, ok := p.Value.(float64)
		if !ok {
			return m, fmt.Errorf("%w: onMetaData %s is %T", ErrMalformed, p.Key, p.Value)
		}
		*dst = f
	}
	return m, nil
}
