package fmp4

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
)

// Track ids and timescales the Muxer writes.
const (
	VideoTrackID   = 1
	AudioTrackID   = 2
	VideoTimescale = 90000
)

// Config describes the tracks of a slice.
type Config struct {
	Video VideoConfig
	// AAC describes the audio track (its sampling rate is the track
	// timescale); nil for video only.
	AAC *aac.Config
}

// VideoConfig describes the video track.
type VideoConfig struct {
	Codec         av.Codec // av.H264 or av.H265
	Width, Height int      // pixels, from the SPS
	// Record is the AVCDecoderConfigurationRecord (avcC) or
	// HEVCDecoderConfigurationRecord (hvcC) with the parameter sets.
	Record []byte
	// FrameDuration is the duration of the last sample of a fragment when
	// it cannot be taken from the next frame (the nominal 1/fps).
	FrameDuration time.Duration
}

// AACFrameSamples is the duration of one AAC-LC access unit in samples.
const AACFrameSamples = aac.SamplesPerFrame

// maxASCSize keeps every esds descriptor length within one byte.
const maxASCSize = 64

func (c Config) validate() error {
	v := c.Video
	if v.Codec != av.H264 && v.Codec != av.H265 {
		return fmt.Errorf("fmp4: video codec %v not supported (h264, h265)", v.Codec)
	}
	if v.Width <= 0 || v.Height <= 0 || v.Width > 0xFFFF || v.Height > 0xFFFF {
		return fmt.Errorf("fmp4: video size %dx%d", v.Width, v.Height)
	}
	if len(v.Record) == 0 {
		return fmt.Errorf("fmp4: video decoder configuration record missing")
	}
	if v.FrameDuration <= 0 {
		return fmt.Errorf("fmp4: video frame duration %v", v.FrameDuration)
	}
	if a := c.AAC; a != nil {
		if a.SampleRate <= 0 || a.SampleRate > 0xFFFF {
			return fmt.Errorf("fmp4: AAC sample rate %d", a.SampleRate)
		}
		if a.Channels <= 0 || a.Channels > 8 {
			return fmt.Errorf("fmp4: AAC channels %d", a.Channels)
		}
	}
	return nil
}
