package mpegts

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
)

// Config describes the streams of a slice.
type Config struct {
	Video av.Codec // av.H264 or av.H265
	// AAC describes the audio stream (its ADTS headers repeat object type,
	// sampling rate and channels); nil for video only.
	AAC *aac.Config
}

func (c Config) validate() error {
	if c.Video != av.H264 && c.Video != av.H265 {
		return fmt.Errorf("mpegts: video codec %v not supported (h264, h265)", c.Video)
	}
	if c.AAC != nil {
		if _, err := aac.AppendADTS(nil, c.AAC.Object, 0, c.AAC.Channels, 0); err != nil {
			return fmt.Errorf("mpegts: AAC %+v: %w", *c.AAC, err)
		}
		if _, err := aac.SampleRateIndex(c.AAC.SampleRate); err != nil {
			return fmt.Errorf("mpegts: AAC %+v: %w", *c.AAC, err)
		}
	}
	return nil
}
