// Package aac parses and builds the AAC framing fleetsim meets
// (ISO/IEC 14496-3): ADTS headers (1.A.2), the AudioSpecificConfig (1.6.2.1)
// carried by FLV, RTMP and MP4, and synthesises valid AAC-LC raw frames of
// 1024 samples (silence padded with fill elements to a target size).
package aac

import "fmt"

// sampleRates is Table 1.18 (samplingFrequencyIndex 0–12).
var sampleRates = [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// SampleRateIndex returns the samplingFrequencyIndex of a rate.
func SampleRateIndex(rate int) (int, error) {
	for i, r := range sampleRates {
		if r == rate {
			return i, nil
		}
	}
	return 0, fmt.Errorf("aac: sample rate %d Hz has no samplingFrequencyIndex", rate)
}

// SampleRate returns the rate of a samplingFrequencyIndex.
func SampleRate(index int) (int, error) {
	if index < 0 || index >= len(sampleRates) {
		return 0, fmt.Errorf("aac: samplingFrequencyIndex %d is reserved or escaped", index)
	}
	return sampleRates[index], nil
}

// ObjectType is an MPEG-4 audio object type (Table 1.17).
type ObjectType uint8

const (
	ObjectAACMain ObjectType = 1
	ObjectAACLC   ObjectType = 2
	ObjectAACSSR  ObjectType = 3
	ObjectAACLTP  ObjectType = 4
	ObjectSBR     ObjectType = 5
	ObjectPS      ObjectType = 29
)

// SamplesPerFrame is the frame length of AAC-LC with frameLengthFlag 0.
const SamplesPerFrame = 1024
