package fmp4

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testmedia"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// sliceCase drives the round-trip tests, fuzz seeds and benchmarks.
type sliceCase struct {
	name      string
	withAudio bool
	profile   testmedia.Profile
}

var sliceCases = []sliceCase{
	{"h264-aac-10s", true, subStream.With(av.H264, 10*time.Second)},
	{"h265-aac-10s", true, subStream.With(av.H265, 10*time.Second)},
	{"h264-video-only-2s", false, func() testmedia.Profile {
		p := subStream.With(av.H264, 2*time.Second)
		p.AACSize = 0
		return p
	}()},
}

func TestMuxVerifyRoundTrip(t *testing.T) {
	v := NewVerifier(Limits{})
	for _, c := range sliceCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.profile.Frames()
			slice := muxAll(t, c.withAudio, frames)
			info, err := v.Verify(slice)
			if err != nil {
				t.Fatal(err)
			}
			nv, na := count(frames)
			frameDur := time.Second / time.Duration(c.profile.FPS)
			wantAudio := av.CodecUnknown
			if c.withAudio {
				wantAudio = av.AAC
			}
			if info.VideoCodec != c.profile.Codec || info.AudioCodec != wantAudio {
				t.Errorf("codecs %v/%v", info.VideoCodec, info.AudioCodec)
			}
			if info.VideoFrames != nv || info.AudioFrames != na {
				t.Errorf("frames %d/%d, want %d/%d", info.VideoFrames, info.AudioFrames, nv, na)
			}
			gops := (nv + c.profile.GOP - 1) / c.profile.GOP
			if info.KeyFrames != gops || info.Fragments != gops {
				t.Errorf("key frames %d, fragments %d, want %d", info.KeyFrames, info.Fragments, gops)
			}
			if !info.FirstKeyWithParams {
				t.Error("first frame not reported as IDR with parameter sets")
			}
			if info.FirstPTS != 0 || info.LastPTS != time.Duration(nv-1)*frameDur+time.Duration(nv-1)/3 {
				// 1/15 s is 66,666,666.67 ns: the exact tick time rounds up every third frame.
				if d := info.LastPTS - time.Duration(nv-1)*frameDur; d < 0 || d > time.Microsecond {
					t.Errorf("PTS %v..%v", info.FirstPTS, info.LastPTS)
				}
			}
			checkStamps(t, info.Stamps, info.Unstamped, nv)
			checkSizes(t, frames, c.withAudio, info.VideoSizes, info.AudioSizes)
			if info.Duration != c.profile.Duration {
				t.Errorf("duration %v, want %v", info.Duration, c.profile.Duration)
			}
		})
	}
}

// Samples hold no parameter sets or delimiters (they are in avcC/hvcC),
// but keep every other NAL unit (stamp SEI, slice, filler) in order.
func TestSamplesOmitParameterSets(t *testing.T) {
	p := subStream.With(av.H264, time.Second)
	p.AACSize = 0
	frames := p.Frames()
	frames[0].NALUs = append([][]byte{{0x09, 0xF0}}, frames[0].NALUs...) // an AUD
	slice := muxAll(t, false, frames)
	var want [][]byte
	size := 0
	for _, u := range frames[0].NALUs {
		switch h264.Type(u) {
		case h264.NALAUD, h264.NALSPS, h264.NALPPS:
		default:
			want = append(want, u)
			size += 4 + len(u)
		}
	}
	i := bytes.Index(slice, []byte("mdat"))
	got, err := h264.SplitAVCC(nil, slice[i+4:i+4+size], 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || h264.Type(got[0]) != h264.NALSEI {
		t.Fatalf("first sample holds %d NAL units, want %d starting with the stamp SEI", len(got), len(want))
	}
	for j := range want {
		if !bytes.Equal(got[j], want[j]) {
			t.Fatalf("NAL unit %d differs", j)
		}
	}
}

func TestMuxerErrors(t *testing.T) {
	frames := subStream.With(av.H264, time.Second).Frames()
	video, _ := split(frames)
	vc, err := VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		t.Fatal(err)
	}
	if vc.Width != 640 || vc.Height != 360 {
		t.Fatalf("size from SPS %dx%d", vc.Width, vc.Height)
	}
	if _, err := VideoConfigFor(&video[1], time.Second/15); err == nil {
		t.Error("config from a frame without parameter sets")
	}
	bad := []Config{
		{Video: VideoConfig{Codec: av.AAC, Width: 1, Height: 1, Record: []byte{1}, FrameDuration: 1}},
		{Video: VideoConfig{Codec: av.H264, Width: 0, Height: 1, Record: []byte{1}, FrameDuration: 1}},
		{Video: VideoConfig{Codec: av.H264, Width: 1, Height: 1, FrameDuration: 1}},
		{Video: VideoConfig{Codec: av.H264, Width: 1, Height: 1, Record: []byte{1}}},
	}
	for i, c := range bad {
		if _, err := NewMuxer(c); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
	m, err := NewMuxer(Config{Video: vc})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := m.AppendFragment([]byte{1}, nil, []av.Frame{{Codec: av.AAC, Payload: []byte{1}}}); err == nil || len(out) != 1 {
		t.Error("audio accepted by a video-only muxer")
	}
	if _, err := m.AppendFragment(nil, []av.Frame{{Codec: av.H265, NALUs: [][]byte{{0x26, 1}}}}, nil); err == nil {
		t.Error("H.265 accepted by an H.264 muxer")
	}
	if _, err := m.AppendFragment(nil, []av.Frame{{Codec: av.H264, NALUs: [][]byte{video[0].NALUs[0]}}}, nil); err == nil {
		t.Error("sample with only parameter sets accepted")
	}
	if _, err := m.AppendFragment(nil, nil, nil); err == nil {
		t.Error("empty fragment accepted")
	}
}

func TestMuxerNoAllocs(t *testing.T) {
	c := sliceCases[0]
	video, audio := split(c.profile.Frames())
	vc, err := VideoConfigFor(&video[0], time.Second/15)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMuxer(Config{Video: vc, AAC: aac16k})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 2<<20)
	if _, err := m.AppendSlice(buf, video, audio); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(5, func() { _, _ = m.AppendSlice(buf[:0], video, audio) }); a > 1 {
		t.Fatalf("%v allocations per slice", a)
	}
}

func TestVerifyNoAllocs(t *testing.T) {
	slice := muxAll(t, true, sliceCases[0].profile.Frames())
	v := NewVerifier(Limits{})
	if _, err := v.Verify(slice); err != nil {
		t.Fatal(err)
	}
	// Only the decoder configuration record parse (media/h264) allocates:
	// a constant per slice, nothing per frame.
	if a := testing.AllocsPerRun(3, func() { _, _ = v.Verify(slice) }); a > 4 {
		t.Fatalf("%v allocations per verified slice", a)
	}
}

// smallSlice is a short slice for the malformed table and fuzz seeds.
func smallSlice(t testing.TB, codec av.Codec) []byte {
	p := subStream.With(codec, 400*time.Millisecond)
	p.ISize, p.PSize, p.AACSize = 200, 40, 16
	p.GOP = 3
	return muxAll(t, true, p.Frames())
}

func TestVerifyMalformed(t *testing.T) {
	good := smallSlice(t, av.H264)
	moov := bytes.Index(good, []byte("moov")) - 4
	moof := bytes.Index(good, []byte("moof")) - 4
	trun := bytes.Index(good, []byte("trun")) - 4
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"cut-box-header", good[:5], ErrTruncated},
		{"cut-in-moov", good[:moov+100], ErrTruncated},
		{"no-moov", append(bytes.Clone(good[:moov]), good[moof:]...), ErrMalformed},
		{"box-size-below-header", corrupt(good, func(b []byte) []byte { putU32(b[moov:], 4); return b }), ErrMalformed},
		{"box-size-beyond-end", corrupt(good, func(b []byte) []byte { putU32(b[moov:], 1<<30); return b }), ErrTruncated},
		{"trun-count-huge", corrupt(good, func(b []byte) []byte { putU32(b[trun+12:], 1<<30); return b }), ErrTruncated},
		{"data-offset-outside", corrupt(good, func(b []byte) []byte { putU32(b[trun+16:], 1<<30); return b }), ErrMalformed},
		{"unknown-track", corrupt(good, func(b []byte) []byte {
			tfhd := bytes.Index(b, []byte("tfhd"))
			putU32(b[tfhd+8:], 9)
			return b
		}), ErrMalformed},
		{"too-large", good, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lim := Limits{}
			if c.name == "too-large" {
				lim.MaxSliceSize = len(good) - 1
			}
			_, err := NewVerifier(lim).Verify(c.b)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	if _, err := NewVerifier(Limits{MaxFrames: 2}).Verify(good); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxFrames: err = %v", err)
	}
}

func corrupt(b []byte, f func(b []byte) []byte) []byte { return f(bytes.Clone(b)) }

// FuzzVerify: arbitrary input gives an Info or an error, never a panic;
// samples are read in place, so memory is bounded by MaxFrames records.
func FuzzVerify(f *testing.F) {
	for _, c := range []av.Codec{av.H264, av.H265} {
		f.Add(smallSlice(f, c))
	}
	good := smallSlice(f, av.H264)
	f.Add(good[:bytes.Index(good, []byte("moof"))-4])
	lim := Limits{MaxSliceSize: 1 << 20, MaxFrames: 100}
	v := NewVerifier(lim)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := v.Verify(b)
		if err != nil {
			return
		}
		if info.VideoFrames > lim.MaxFrames || len(info.Stamps)+info.Unstamped != info.VideoFrames ||
			len(info.VideoSizes) != info.VideoFrames || len(info.AudioSizes) != info.AudioFrames {
			t.Fatalf("inconsistent info %+v", info)
		}
		if cap(v.nalus) > h264.MaxNALUsPerAU*2 {
			t.Fatalf("NAL index grew to %d", cap(v.nalus))
		}
	})
}

// checkSizes: every frame's size read back from the slice equals its
// av.Frame.Size (what the camera counts as sent), in order per stream: a
// key frame's parameter sets, moved to the sample entry, count for it.
func checkSizes(t *testing.T, frames []av.Frame, withAudio bool, video, audio []int) {
	t.Helper()
	var wantV, wantA []int
	for i := range frames {
		switch {
		case frames[i].Codec.IsVideo():
			wantV = append(wantV, frames[i].Size())
		case withAudio:
			wantA = append(wantA, frames[i].Size())
		}
	}
	if !slices.Equal(video, wantV) || !slices.Equal(audio, wantA) {
		t.Fatalf("frame sizes read back differ from the frames':\nvideo %v\nwant  %v\naudio %v\nwant  %v", video, wantV, audio, wantA)
	}
}

// checkStamps: every video frame's stamp read back, in order.
func checkStamps(t *testing.T, stamps []stamp.Stamp, unstamped, frames int) {
	t.Helper()
	if len(stamps) != frames || unstamped != 0 {
		t.Fatalf("%d stamps, %d unstamped frames, want %d stamps", len(stamps), unstamped, frames)
	}
	frameDur := time.Second / 15
	for i, s := range stamps {
		want := stamp.New(testDevice, uint64(i), stampEpoch.Add(time.Duration(i)*frameDur))
		if s != want {
			t.Fatalf("stamp %d = %+v, want %+v", i, s, want)
		}
	}
}
