package fakecloud

import (
	"fmt"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/fmp4"
	"github.com/fleetsim/fleetsim/media/mpegts"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// MediaParser returns a Parser for TS and fMP4 slices built on the
// verifiers of media/mpegts and media/fmp4: video frames are named by their
// stamps (frames without one are reported positional), audio frames are
// positional. The first video frame must be a key frame with its parameter
// sets. The returned Parser is safe for concurrent use.
func MediaParser() Parser {
	p := &mediaParser{ts: mpegts.NewVerifier(mpegts.DefaultLimits()), mp4: fmp4.NewVerifier(fmp4.DefaultLimits())}
	return p.parse
}

type mediaParser struct {
	mu  sync.Mutex
	ts  *mpegts.Verifier
	mp4 *fmp4.Verifier
}

func (p *mediaParser) parse(dst []Frame, format cloudapi.Format, body []byte) ([]Frame, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		video, audio, unstamped int
		firstKey                bool
		stamps                  []Frame
	)
	switch format {
	case cloudapi.FormatTS:
		in, err := p.ts.Verify(body)
		if err != nil {
			return dst, err
		}
		video, audio, unstamped, firstKey = in.VideoFrames, in.AudioFrames, in.Unstamped, in.FirstKeyWithParams
		for _, s := range in.Stamps {
			stamps = append(stamps, Frame{Stream: observe.Video, Seq: s.Seq, Capture: s.CaptureTime()})
		}
	case cloudapi.FormatFMP4:
		in, err := p.mp4.Verify(body)
		if err != nil {
			return dst, err
		}
		video, audio, unstamped, firstKey = in.VideoFrames, in.AudioFrames, in.Unstamped, in.FirstKeyWithParams
		for _, s := range in.Stamps {
			stamps = append(stamps, Frame{Stream: observe.Video, Seq: s.Seq, Capture: s.CaptureTime()})
		}
	default:
		return dst, fmt.Errorf("format %q", format)
	}
	if video == 0 {
		return dst, fmt.Errorf("no video frame")
	}
	if unstamped == 0 && len(stamps) == video {
		stamps[0].Key = firstKey
		dst = append(dst, stamps...)
	} else {
		// without a stamp on every frame the video is named by position
		for i := 0; i < video; i++ {
			f := Frame{Stream: observe.Video, Seq: uint64(i), Positional: true, Key: i == 0 && firstKey}
			if i < len(stamps) {
				f.Capture = stamps[i].Capture
			}
			dst = append(dst, f)
		}
	}
	// audio carries no stamp: its capture time is spread over the video's
	var first, last Frame
	if len(stamps) > 0 {
		first, last = stamps[0], stamps[len(stamps)-1]
	}
	for j := 0; j < audio; j++ {
		f := Frame{Stream: observe.Audio, Seq: uint64(j), Positional: true, Key: true, Capture: first.Capture}
		if audio > 1 {
			f.Capture = first.Capture.Add(time.Duration(int64(last.Capture.Sub(first.Capture)) * int64(j) / int64(audio-1)))
		}
		dst = append(dst, f)
	}
	return dst, nil
}
