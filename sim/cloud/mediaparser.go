package cloud

import (
	"fmt"
	"io"
	"sync"

	"github.com/fleetsim/fleetsim/media/fmp4"
	"github.com/fleetsim/fleetsim/media/mpegts"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// MediaSliceParser parses TS slices with media/mpegts and fMP4 slices with
// media/fmp4 (whose verifiers read the stamps), keeping a pool of
// verifiers so that concurrent uploads do not allocate per slice.
type MediaSliceParser struct{}

var (
	tsVerifiers   = sync.Pool{New: func() any { return mpegts.NewVerifier(mpegts.DefaultLimits()) }}
	fmp4Verifiers = sync.Pool{New: func() any { return fmp4.NewVerifier(fmp4.DefaultLimits()) }}
)

// StreamsFormat implements SliceStreamParser: TS is verified as it is
// read; fMP4 is verified whole (its boxes are read by size and offset).
func (MediaSliceParser) StreamsFormat(format cloudapi.Format) bool {
	return format == cloudapi.FormatTS
}

// ParseSliceReader implements SliceStreamParser with
// mpegts.Verifier.VerifyReader (32 KiB held, not the slice).
func (MediaSliceParser) ParseSliceReader(format cloudapi.Format, r io.Reader, into *SliceInfo) error {
	if format != cloudapi.FormatTS {
		return fmt.Errorf("slice format %q is not read as a stream", format)
	}
	v := tsVerifiers.Get().(*mpegts.Verifier)
	defer tsVerifiers.Put(v)
	in, err := v.VerifyReader(r)
	if err != nil {
		return err
	}
	tsInfoInto(into, &in)
	return nil
}

func tsInfo(in *mpegts.Info) SliceInfo {
	out := SliceInfo{VideoFrames: in.VideoFrames, AudioFrames: in.AudioFrames,
		FirstKeyWithParams: in.FirstKeyWithParams, FirstPTS: in.FirstPTS, LastPTS: in.LastPTS,
		Unstamped: in.Unstamped, Stamps: make([]FrameStamp, len(in.Stamps))}
	for i, s := range in.Stamps {
		out.Stamps[i] = fromStamp(s)
	}
	out.VideoSizes, out.AudioSizes = copySizes(in.VideoSizes, in.AudioSizes)
	return out
}

// tsInfoInto is tsInfo into dst, reusing its slices' storage (the
// verifier's Info is valid only until its next slice, so it is copied).
func tsInfoInto(dst *SliceInfo, in *mpegts.Info) {
	stamps := dst.Stamps[:0]
	for _, s := range in.Stamps {
		stamps = append(stamps, fromStamp(s))
	}
	*dst = SliceInfo{VideoFrames: in.VideoFrames, AudioFrames: in.AudioFrames,
		FirstKeyWithParams: in.FirstKeyWithParams, FirstPTS: in.FirstPTS, LastPTS: in.LastPTS,
		Unstamped: in.Unstamped, Stamps: stamps,
		VideoSizes: append(dst.VideoSizes[:0], in.VideoSizes...),
		AudioSizes: append(dst.AudioSizes[:0], in.AudioSizes...)}
}

// copySizes copies a verifier's frame sizes (valid until its next slice)
// into one allocation.
func copySizes(video, audio []int) (v, a []int) {
	if len(video)+len(audio) == 0 {
		return nil, nil
	}
	b := make([]int, len(video)+len(audio))
	n := copy(b, video)
	copy(b[n:], audio)
	return b[:n:n], b[n:]
}

// ParseSlice implements SliceParser.
func (MediaSliceParser) ParseSlice(format cloudapi.Format, body []byte) (SliceInfo, error) {
	switch format {
	case cloudapi.FormatTS:
		v := tsVerifiers.Get().(*mpegts.Verifier)
		defer tsVerifiers.Put(v)
		in, err := v.Verify(body)
		if err != nil {
			return SliceInfo{}, err
		}
		return tsInfo(&in), nil
	case cloudapi.FormatFMP4:
		v := fmp4Verifiers.Get().(*fmp4.Verifier)
		defer fmp4Verifiers.Put(v)
		in, err := v.Verify(body)
		if err != nil {
			return SliceInfo{}, err
		}
		out := SliceInfo{VideoFrames: in.VideoFrames, AudioFrames: in.AudioFrames,
			FirstKeyWithParams: in.FirstKeyWithParams, FirstPTS: in.FirstPTS, LastPTS: in.LastPTS,
			Unstamped: in.Unstamped, Stamps: make([]FrameStamp, len(in.Stamps))}
		for i, s := range in.Stamps {
			out.Stamps[i] = fromStamp(s)
		}
		out.VideoSizes, out.AudioSizes = copySizes(in.VideoSizes, in.AudioSizes)
		return out, nil
	}
	return SliceInfo{}, fmt.Errorf("slice format %q", format)
}
