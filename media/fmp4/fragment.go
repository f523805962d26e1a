package fmp4

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
)

// Sample flags of trun (ISO/IEC 14496-12 §8.8.3.1).
const (
	flagsSync    = 0x02000000 // sample_depends_on = 2 (an I picture)
	flagsNonSync = 0x01010000 // sample_depends_on = 1, sample_is_non_sync_sample
)

// trun flags.
const (
	trunDataOffset  = 0x000001
	trunDuration    = 0x000100
	trunSize        = 0x000200
	trunFlags       = 0x000400
	trunCTSOffset   = 0x000800
	tfhdBaseIsMoof  = 0x020000
	maxSampleSize   = 16 << 20
	maxFragmentSize = 1 << 30
)

// Muxer writes fragmented MP4 for one camera channel. It numbers fragments
// (mfhd sequence) across calls. Not safe for concurrent use.
type Muxer struct {
	cfg    Config
	asc    []byte // the AudioSpecificConfig of esds
	seq    uint32
	sizes  []uint32    // per-sample sizes of the fragment being written, reused
	vp, ap av.Ptrs     // the frames being written, reused
	frags  []fragRange // the fragments of the slice being written, reused
	hdr    []byte      // a fragment header being measured, reused
	init   int         // size of the init segment (0: not measured yet)
}

// NewMuxer returns a Muxer for cfg.
func NewMuxer(cfg Config) (*Muxer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Muxer{cfg: cfg, sizes: make([]uint32, 0, 64)}
	if cfg.AAC != nil {
		asc, err := aac.AppendConfig(nil, *cfg.AAC)
		if err != nil {
			return nil, fmt.Errorf("fmp4: %w", err)
		}
		if len(asc) > maxASCSize {
			return nil, fmt.Errorf("fmp4: AudioSpecificConfig of %d bytes", len(asc))
		}
		m.asc = asc
	}
	return m, nil
}

// Config returns the configuration of m.
func (m *Muxer) Config() Config { return m.cfg }

// AppendFragment appends one moof+mdat holding video (in decode order,
// the first normally a key frame) and the audio frames that go with them.
// Sample durations come from the next frame's DTS; the last video sample
// lasts Config.Video.FrameDuration, audio samples AACFrameSamples. On
// error dst is returned unchanged.
func (m *Muxer) AppendFragment(dst []byte, video, audio []av.Frame) ([]byte, error) {
	m.vp, m.ap = framePtrs(m.vp[:0], video), framePtrs(m.ap[:0], audio)
	dst, err := m.appendFragment(dst, m.vp, m.ap)
	clear(m.vp)
	clear(m.ap)
	return dst, err
}

// framePtrs appends pointers to frames to dst.
func framePtrs(dst []*av.Frame, frames []av.Frame) []*av.Frame {
	for i := range frames {
		dst = append(dst, &frames[i])
	}
	return dst
}

func (m *Muxer) appendFragment(dst []byte, video, audio []*av.Frame) ([]byte, error) {
	var f fragment
	var err error
	if m.sizes, f, err = m.checkFragment(m.sizes[:0], video, audio); err != nil {
		return dst, err
	}
	m.seq++
	dst = m.appendFragmentHeader(dst, m.seq, video, audio, m.sizes, f)
	dst = grow(dst, f.videoBytes+f.audioBytes)
	for _, v := range video {
		for _, u := range v.NALUs {
			if m.keep(u) {
				dst = appendU32(dst, uint32(len(u)))
				dst = append(dst, u...)
			}
		}
	}
	for _, a := range audio {
		dst = append(dst, a.Payload...)
	}
	return dst, nil
}

// fragment is the mdat payload of one fragment: its video samples' bytes
// (4-byte lengths and NAL units), then its audio samples' bytes.
type fragment struct{ videoBytes, audioBytes int }

// checkFragment checks the frames of a fragment and appends the video
// sample sizes to sizes.
func (m *Muxer) checkFragment(sizes []uint32, video, audio []*av.Frame) ([]uint32, fragment, error) {
	var f fragment
	if len(video) == 0 && len(audio) == 0 {
		return sizes, f, fmt.Errorf("fmp4: empty fragment")
	}
	if len(audio) > 0 && m.cfg.AAC == nil {
		return sizes, f, fmt.Errorf("fmp4: audio frames for a muxer without audio")
	}
	for _, v := range video {
		if v.Codec != m.cfg.Video.Codec {
			return sizes, f, fmt.Errorf("fmp4: video frame codec %v, muxer configured for %v", v.Codec, m.cfg.Video.Codec)
		}
	}
	for _, a := range audio {
		if a.Codec != av.AAC {
			return sizes, f, fmt.Errorf("fmp4: audio frame codec %v", a.Codec)
		}
	}
	for _, v := range video {
		n := 0
		for _, u := range v.NALUs {
			if m.keep(u) {
				n += 4 + len(u)
			}
		}
		if n == 0 || n > maxSampleSize {
			return sizes, f, fmt.Errorf("fmp4: video frame %d has a sample of %d bytes", v.Seq, n)
		}
		sizes = append(sizes, uint32(n))
		f.videoBytes += n
	}
	for _, a := range audio {
		n := len(a.Payload)
		if n == 0 || n > maxSampleSize {
			return sizes, f, fmt.Errorf("fmp4: audio frame %d of %d bytes", a.Seq, n)
		}
		f.audioBytes += n
	}
	if f.videoBytes+f.audioBytes > maxFragmentSize {
		return sizes, f, fmt.Errorf("fmp4: fragment of %d bytes", f.videoBytes+f.audioBytes)
	}
	return sizes, f, nil
}

// appendFragmentHeader appends the moof (sequence number seq) of a checked
// fragment and its mdat header: everything but the samples' bytes.
func (m *Muxer) appendFragmentHeader(dst []byte, seq uint32, video, audio []*av.Frame, sizes []uint32, f fragment) []byte {
	start := len(dst)
	dst, moof := openBox(dst, "moof")
	dst, mfhd := openFullBox(dst, "mfhd", 0, 0)
	dst = appendU32(dst, seq)
	dst = closeBox(dst, mfhd)
	var videoOffset, audioOffset int // positions of the trun data_offset fields
	if len(video) > 0 {
		dst, videoOffset = m.appendVideoTraf(dst, video, sizes)
	}
	if len(audio) > 0 {
		dst, audioOffset = m.appendAudioTraf(dst, audio)
	}
	dst = closeBox(dst, moof)
	moofSize := len(dst) - start
	if len(video) > 0 {
		putU32(dst[videoOffset:], uint32(moofSize+8))
	}
	if len(audio) > 0 {
		putU32(dst[audioOffset:], uint32(moofSize+8+f.videoBytes))
	}
	dst = appendU32(dst, uint32(8+f.videoBytes+f.audioBytes))
	return append(dst, "mdat"...)
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), 2*cap(b)+n)
	copy(nb, b)
	return nb
}

// ticks converts d to a track timescale, rounded to the nearest tick
// (frame times such as 1/15 s are not whole nanoseconds), in 128-bit
// arithmetic so that weeks of media time do not overflow.
func ticks(d time.Duration, timescale uint64) uint64 {
	if d <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(d), timescale)
	lo, carry := bits.Add64(lo, uint64(time.Second/2), 0)
	hi += carry
	if hi >= uint64(time.Second) {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Second))
	return q
}

func (m *Muxer) appendVideoTraf(dst []byte, video []*av.Frame, sizes []uint32) ([]byte, int) {
	dst, traf := openBox(dst, "traf")
	dst, tfhd := openFullBox(dst, "tfhd", 0, tfhdBaseIsMoof)
	dst = appendU32(dst, VideoTrackID)
	dst = closeBox(dst, tfhd)
	dst, tfdt := openFullBox(dst, "tfdt", 1, 0)
	dst = appendU64(dst, ticks(video[0].DTS, VideoTimescale))
	dst = closeBox(dst, tfdt)
	withCTS := false
	for i := range video {
		if video[i].PTS != video[i].DTS {
			withCTS = true
			break
		}
	}
	flags := uint32(trunDataOffset | trunDuration | trunSize | trunFlags)
	if withCTS {
		flags |= trunCTSOffset
	}
	dst, trun := openFullBox(dst, "trun", 1, flags)
	dst = appendU32(dst, uint32(len(video)))
	off := len(dst)
	dst = appendU32(dst, 0) // data_offset, patched
	lastDur := ticks(m.cfg.Video.FrameDuration, VideoTimescale)
	for i := range video {
		f := video[i]
		d0 := ticks(f.DTS, VideoTimescale)
		dur := lastDur
		if i+1 < len(video) {
			dur = ticks(video[i+1].DTS, VideoTimescale) - d0
		}
		dst = appendU32(dst, uint32(dur))
		dst = appendU32(dst, sizes[i])
		if f.Key {
			dst = appendU32(dst, flagsSync)
		} else {
			dst = appendU32(dst, flagsNonSync)
		}
		if withCTS {
			dst = appendU32(dst, uint32(int32(int64(ticks(f.PTS, VideoTimescale))-int64(d0))))
		}
	}
	dst = closeBox(dst, trun)
	return closeBox(dst, traf), off
}

func (m *Muxer) appendAudioTraf(dst []byte, audio []*av.Frame) ([]byte, int) {
	rate := uint64(m.cfg.AAC.SampleRate)
	dst, traf := openBox(dst, "traf")
	dst, tfhd := openFullBox(dst, "tfhd", 0, tfhdBaseIsMoof)
	dst = appendU32(dst, AudioTrackID)
	dst = closeBox(dst, tfhd)
	dst, tfdt := openFullBox(dst, "tfdt", 1, 0)
	dst = appendU64(dst, ticks(audio[0].PTS, rate))
	dst = closeBox(dst, tfdt)
	dst, trun := openFullBox(dst, "trun", 0, trunDataOffset|trunDuration|trunSize)
	dst = appendU32(dst, uint32(len(audio)))
	off := len(dst)
	dst = appendU32(dst, 0)
	for i := range audio {
		dst = appendU32(dst, AACFrameSamples)
		dst = appendU32(dst, uint32(len(audio[i].Payload)))
	}
	dst = closeBox(dst, trun)
	return closeBox(dst, traf), off
}
