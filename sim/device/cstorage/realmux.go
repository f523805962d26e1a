package cstorage

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/fmp4"
	"github.com/fleetsim/fleetsim/media/mpegts"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// tsMuxer writes a slice as MPEG-TS with media/mpegts (PAT/PMT before each
// key frame, so a slice starting at an IDR is self-contained). It is a
// Cutter: the SDK streams its slices.
type tsMuxer struct{ m *mpegts.Muxer }

// NewTSMuxer returns a Muxer writing TS slices of the given streams.
func NewTSMuxer(cfg mpegts.Config) (Muxer, error) {
	m, err := mpegts.NewMuxer(cfg)
	if err != nil {
		return nil, err
	}
	return &tsMuxer{m: m}, nil
}

func (t *tsMuxer) AppendSlice(dst []byte, frames av.List) ([]byte, error) {
	start := len(dst)
	scratch := new(av.Frame)
	for i := range frames.Len() {
		var err error
		if dst, err = t.m.AppendFrame(dst, frames.At(i, scratch)); err != nil {
			return dst[:start], err
		}
	}
	return dst, nil
}

// CutSlice implements Cutter: the TS of frames, muxed as it is read
// (mpegts.Slice), with the continuity counters of this point of the stream.
func (t *tsMuxer) CutSlice(frames av.List) (cloudapi.Content, error) {
	sl, err := t.m.CutList(frames)
	if err != nil {
		return nil, err
	}
	return sl, nil
}

// fmp4Muxer writes a slice as fragmented MP4 with media/fmp4 (init segment,
// then a fragment per GOP). Its video track is configured from the first
// key frame's parameter sets. It is a Cutter: the SDK streams its slices.
type fmp4Muxer struct {
	aac           *aac.Config
	frameDuration time.Duration
	m             *fmp4.Muxer
	video, audio  []av.Frame // scratch, reused
}

// NewFMP4Muxer returns a Muxer writing fMP4 slices; audio (nil: none) is
// the AAC track, frameDuration the nominal video frame interval.
func NewFMP4Muxer(audio *aac.Config, frameDuration time.Duration) Muxer {
	return &fmp4Muxer{aac: audio, frameDuration: frameDuration}
}

func (x *fmp4Muxer) AppendSlice(dst []byte, frames av.List) ([]byte, error) {
	x.video, x.audio = x.video[:0], x.audio[:0]
	scratch := new(av.Frame)
	for i := range frames.Len() {
		f := frames.At(i, scratch)
		if f.Codec.IsVideo() {
			if err := x.configure(f); err != nil {
				return dst, err
			}
			x.video = append(x.video, *f)
			// the copy keeps its NAL unit list: the next frame gets its own
			x.video[len(x.video)-1].NALUs = append([][]byte(nil), f.NALUs...)
		} else if x.aac != nil {
			x.audio = append(x.audio, *f)
		}
	}
	if x.m == nil {
		return dst, fmt.Errorf("fmp4: slice without video")
	}
	b, err := x.m.AppendSlice(dst, x.video, x.audio)
	clear(x.video)
	clear(x.audio)
	return b, err
}

// CutSlice implements Cutter: the fMP4 of frames, muxed as it is read
// (fmp4.Slice), with the fragment sequence of this point of the stream.
func (x *fmp4Muxer) CutSlice(frames av.List) (cloudapi.Content, error) {
	nv := 0
	scratch := new(av.Frame) // for this cut only: kept, it would keep the slice's units
	for i := range frames.Len() {
		if frames.At(i, scratch).Codec.IsVideo() {
			nv++
		}
	}
	index := make([]int32, 0, frames.Len())
	video := av.Subset{L: frames, Index: index[:0:nv]}
	audio := av.Subset{L: frames, Index: index[nv:nv]}
	for i := range frames.Len() {
		if f := frames.At(i, scratch); f.Codec.IsVideo() {
			if err := x.configure(f); err != nil {
				return nil, err
			}
			video.Index = append(video.Index, int32(i))
		} else if x.aac != nil {
			audio.Index = append(audio.Index, int32(i))
		}
	}
	if x.m == nil {
		return nil, fmt.Errorf("fmp4: slice without video")
	}
	sl, err := x.m.CutList(video, audio)
	if err != nil {
		return nil, err
	}
	return sl, nil
}

// configure makes the fMP4 muxer from the first video frame's parameter
// sets (once).
func (x *fmp4Muxer) configure(f *av.Frame) error {
	if x.m != nil {
		return nil
	}
	vc, err := fmp4.VideoConfigFor(f, x.frameDuration)
	if err != nil {
		return fmt.Errorf("fmp4 track from frame %d: %w", f.Seq, err)
	}
	x.m, err = fmp4.NewMuxer(fmp4.Config{Video: vc, AAC: x.aac})
	return err
}

// MediaMuxers returns the TS and fMP4 muxers of media/ for a channel's
// streams: video codec, AAC audio (nil: none) and the video frame interval.
// Muxers keep per-stream state: give each SDK its own.
func MediaMuxers(video av.Codec, audio *aac.Config, frameDuration time.Duration) (Muxers, error) {
	ts, err := NewTSMuxer(mpegts.Config{Video: video, AAC: audio})
	if err != nil {
		return nil, err
	}
	return Muxers{cloudapi.FormatTS: ts, cloudapi.FormatFMP4: NewFMP4Muxer(audio, frameDuration)}, nil
}
