// Package source is the virtual camera's media source (DESIGN.md §2.5):
// synthesised H.264/H.265 video whose frame sizes follow a bitrate model
// (fps, GOP, I/P size ratio, variance, motion bursts) and AAC or G.711 audio,
// with a stamp in every video frame. No encoder runs: payloads come from
// media/h264 and media/h265 synthesis, built once per profile (Shared) and
// shared, immutable, by every device of that profile; only the stamp NAL
// unit and the frame headers are per device.
package source

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/g711"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/units"
)

// VideoConfig is a camera's video encoder model.
type VideoConfig struct {
	Codec         av.Codec // H264 or H265
	Width, Height int
	FPS           int
	GOP           int // frames per group of pictures (IDR interval)
	Bitrate       units.Bitrate
	// IPRatio is the size of an IDR frame over a P frame (IPVM: 10–20).
	IPRatio float64
	// Variance is the standard deviation of the log of frame sizes
	// (0: every P frame has the same size).
	Variance float64
	// MotionBurst multiplies the bitrate while the scene moves (1: none).
	MotionBurst float64
}

// AudioConfig is a camera's audio encoder model. Codec CodecUnknown: no audio.
type AudioConfig struct {
	Codec      av.Codec // AAC, PCMA, PCMU or CodecUnknown
	SampleRate int      // AAC: e.g. 16000; G.711 is always 8000
	Channels   int
	Bitrate    units.Bitrate // AAC only
}

// Profile is one camera model's media.
type Profile struct {
	Video VideoConfig
	Audio AudioConfig
}

// Defaults fills unset fields with the quickstart camera's values.
func (p *Profile) Defaults() {
	v := &p.Video
	if v.Codec == av.CodecUnknown {
		v.Codec = av.H264
	}
	if v.Width == 0 || v.Height == 0 {
		v.Width, v.Height = 640, 360
	}
	if v.FPS == 0 {
		v.FPS = 15
	}
	if v.GOP == 0 {
		v.GOP = 2 * v.FPS
	}
	if v.Bitrate == 0 {
		v.Bitrate = 512 * units.Kbps
	}
	if v.IPRatio == 0 {
		v.IPRatio = 10
	}
	if v.MotionBurst == 0 {
		v.MotionBurst = 1
	}
	a := &p.Audio
	switch a.Codec {
	case av.AAC:
		if a.SampleRate == 0 {
			a.SampleRate = 16000
		}
		if a.Bitrate == 0 {
			a.Bitrate = 32 * units.Kbps
		}
	case av.PCMA, av.PCMU:
		a.SampleRate = g711.SampleRate
	}
	if a.Codec != av.CodecUnknown && a.Channels == 0 {
		a.Channels = 1
	}
}

// Validate checks a profile (after Defaults).
func (p Profile) Validate() error {
	v := p.Video
	if !v.Codec.IsVideo() {
		return fmt.Errorf("video codec %v is not h264 or h265", v.Codec)
	}
	if v.FPS < 1 || v.FPS > 120 {
		return fmt.Errorf("fps %d outside 1…120", v.FPS)
	}
	if v.GOP < 1 {
		return fmt.Errorf("gop %d below 1", v.GOP)
	}
	if v.IPRatio < 1 {
		return fmt.Errorf("I/P ratio %v below 1", v.IPRatio)
	}
	if v.Variance < 0 || v.MotionBurst < 1 {
		return fmt.Errorf("variance must be ≥ 0 and motion burst ≥ 1")
	}
	switch p.Audio.Codec {
	case av.CodecUnknown, av.AAC, av.PCMA, av.PCMU:
	default:
		return fmt.Errorf("audio codec %v is not aac, pcma or pcmu", p.Audio.Codec)
	}
	return nil
}

// videoSynth is what media/h264 and media/h265 synthesis offer.
type videoSynth interface {
	AppendAccessUnit(dst [][]byte, pic h264.Picture, size int, sei []byte) ([][]byte, int)
	MinSize(key bool, extra int) int
	Units() [][]byte
}

// Shared is the per-profile state every device of the profile shares:
// synthesiser, parameter sets, audio payload. It is immutable after
// NewShared and safe for concurrent use.
type Shared struct {
	Profile Profile
	synth   videoSynth
	// SPS, PPS (and VPS for H.265) of the stream.
	VPS, SPS, PPS []byte
	// AudioConfig is the AAC AudioSpecificConfig (nil for G.711 or none).
	AudioConfig []byte
	audio       []byte // one shared audio access unit
	units       *av.Dict

	frameInterval time.Duration // video
	audioInterval time.Duration
	audioSamples  int
	pSize, iSize  float64 // mean sizes in bytes at the base bitrate
	minKey, minP  int
}

// NewShared builds the shared state of a profile (Defaults applied).
func NewShared(p Profile) (*Shared, error) {
	p.Defaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	v := p.Video
	sh := &Shared{Profile: p, frameInterval: time.Second / time.Duration(v.FPS)}
	switch v.Codec {
	case av.H264:
		s, err := h264.NewSynth(h264.SynthConfig{Width: v.Width, Height: v.Height, FPS: v.FPS})
		if err != nil {
			return nil, err
		}
		sh.synth, sh.SPS, sh.PPS = s, s.SPS(), s.PPS()
	case av.H265:
		s, err := h265.NewSynth(h265.SynthConfig{Width: v.Width, Height: v.Height, FPS: v.FPS})
		if err != nil {
			return nil, err
		}
		sh.synth, sh.VPS, sh.SPS, sh.PPS = s, s.VPS(), s.SPS(), s.PPS()
	}
	stampSize := stamp.Size(v.Codec)
	sh.minKey, sh.minP = sh.synth.MinSize(true, stampSize), sh.synth.MinSize(false, stampSize)
	// Over a GOP, one I frame and GOP-1 P frames carry GOP frames' worth of
	// bytes, with I = IPRatio·P.
	perFrame := v.Bitrate.BytesPerSecond() / float64(v.FPS)
	g := float64(v.GOP)
	sh.pSize = g * perFrame / (v.IPRatio + g - 1)
	sh.iSize = v.IPRatio * sh.pSize

	a := p.Audio
	switch a.Codec {
	case av.AAC:
		size := aac.FrameSize(a.Bitrate, a.SampleRate)
		if m := aac.MinSilentFrameSize(a.Channels); size < m {
			size = m
		}
		payload, err := aac.SilentFrame(a.Channels, size)
		if err != nil {
			return nil, err
		}
		cfg, err := aac.AppendConfig(nil, aac.Config{Object: aac.ObjectAACLC, SampleRate: a.SampleRate, Channels: a.Channels, FrameLength: aac.SamplesPerFrame})
		if err != nil {
			return nil, err
		}
		sh.audio, sh.AudioConfig, sh.audioSamples = payload, cfg, aac.SamplesPerFrame
	case av.PCMA, av.PCMU:
		law := g711.ALaw
		if a.Codec == av.PCMU {
			law = g711.MuLaw
		}
		sh.audioSamples = g711.FrameSamples(20 * time.Millisecond) // 160 samples, a common RTP packet time
		payload, err := g711.SilentFrame(law, sh.audioSamples*a.Channels)
		if err != nil {
			return nil, err
		}
		sh.audio = payload
	}
	if sh.audioSamples > 0 {
		sh.audioInterval = time.Duration(sh.audioSamples) * time.Second / time.Duration(a.SampleRate)
	}
	units := sh.synth.Units()
	if sh.audio != nil {
		units = append(units, sh.audio)
	}
	sh.units = av.NewDict(units)
	return sh, nil
}

// Units is the Dict of the byte slices every frame of the profile shares
// (parameter sets, pictures, filler units, the audio payload): a recorder
// that keeps frames in av.Packed lists made with it holds only each
// frame's own units (its stamp).
func (sh *Shared) Units() *av.Dict {
	if sh == nil {
		return nil
	}
	return sh.units
}

// FrameInterval is the time between video frames.
func (sh *Shared) FrameInterval() time.Duration { return sh.frameInterval }

// AudioInterval is the time between audio frames (0: no audio).
func (sh *Shared) AudioInterval() time.Duration { return sh.audioInterval }

// MeanFrameSizes are the model's mean I and P frame sizes in bytes.
func (sh *Shared) MeanFrameSizes() (i, p float64) { return sh.iSize, sh.pSize }
