package fmp4

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// Errors of the Verifier; every error it returns wraps one of them.
var (
	ErrTruncated = errors.New("fmp4: truncated")
	ErrMalformed = errors.New("fmp4: malformed")
	ErrTooLarge  = errors.New("fmp4: over limit")
)

// Limits bound what the Verifier accepts and so what it allocates.
type Limits struct {
	// MaxSliceSize is the largest slice accepted, in bytes.
	MaxSliceSize int
	// MaxFrames is the most video samples (and so stamps and sizes)
	// recorded.
	MaxFrames int
	// MaxAudioFrames is the most audio samples (and so sizes) recorded.
	MaxAudioFrames int
}

// DefaultLimits: 64 MiB slices, 10,000 video frames, 40,000 audio frames.
// Samples are read in place (never copied), so a Verifier holds only
// per-frame records and one NAL unit index (at most h264.MaxNALUsPerAU
// entries).
func DefaultLimits() Limits {
	return Limits{MaxSliceSize: 64 << 20, MaxFrames: 10000, MaxAudioFrames: 40000}
}

// Info is what the Verifier learns from a slice.
type Info struct {
	VideoCodec, AudioCodec   av.Codec
	VideoFrames, AudioFrames int
	KeyFrames                int
	Fragments                int
	// FirstKeyWithParams: the first video sample is an IDR (H.265: IRAP)
	// and its parameter sets (SPS/PPS, and VPS for H.265) are available,
	// in the sample entry or in band.
	FirstKeyWithParams bool
	// FirstPTS is the presentation time of the first video sample, LastPTS
	// the latest one; Duration is LastPTS − FirstPTS plus that sample's
	// duration.
	FirstPTS, LastPTS, Duration time.Duration
	// Stamps are the frame stamps of the video samples, in order.
	Stamps []stamp.Stamp
	// Unstamped counts video samples without a readable stamp.
	Unstamped int
	// VideoSizes and AudioSizes are the media bytes of each frame, in
	// order, read from the slice in the unit a camera counts a frame
	// (av.Frame.Size): a video sample's NAL units without their length
	// fields or access unit delimiters, plus, for a key sample without
	// in-band parameter sets, the first VPS/SPS/PPS of its sample entry
	// (the Muxer moves them there from the key frame); an audio sample's
	// bytes (AAC without ADTS header).
	VideoSizes, AudioSizes []int
	Bytes                  int
}

type track struct {
	id          uint32
	timescale   uint32
	handler     [4]byte
	codec       av.Codec
	lengthSize  int
	params      bool // parameter sets in the sample entry
	paramBytes  int  // the first VPS/SPS/PPS of the sample entry, bytes
	defDuration uint32
	defSize     uint32
	defFlags    uint32
	// nextDTS continues the timeline when a fragment has no tfdt.
	nextDTS uint64
}

// Verifier parses and checks fMP4 slices, keeping its buffers between
// calls. Not safe for concurrent use.
type Verifier struct {
	lim    Limits
	info   Info
	tracks []track
	nalus  [][]byte

	haveVideo      bool
	firstPTS       int64 // ns
	maxPTS, maxEnd int64 // ns
}

// NewVerifier returns a Verifier with the given limits (zero fields take
// the defaults).
func NewVerifier(lim Limits) *Verifier {
	d := DefaultLimits()
	if lim.MaxSliceSize <= 0 {
		lim.MaxSliceSize = d.MaxSliceSize
	}
	if lim.MaxFrames <= 0 {
		lim.MaxFrames = d.MaxFrames
	}
	if lim.MaxAudioFrames <= 0 {
		lim.MaxAudioFrames = d.MaxAudioFrames
	}
	return &Verifier{lim: lim}
}

// Verify parses a whole slice: an init segment (ftyp, moov) and any number
// of moof+mdat fragments. The Info (Stamps included) is valid until the
// next call.
func (v *Verifier) Verify(b []byte) (Info, error) {
	v.info = Info{Stamps: v.info.Stamps[:0], VideoSizes: v.info.VideoSizes[:0], AudioSizes: v.info.AudioSizes[:0], Bytes: len(b)}
	v.tracks = v.tracks[:0]
	v.haveVideo = false
	if len(b) > v.lim.MaxSliceSize {
		return v.info, fmt.Errorf("%w: slice of %d bytes exceeds %d", ErrTooLarge, len(b), v.lim.MaxSliceSize)
	}
	if len(b) == 0 {
		return v.info, fmt.Errorf("%w: empty slice", ErrTruncated)
	}
	haveMoov := false
	off := 0
	for off < len(b) {
		bx, err := nextBox(b[off:])
		if err != nil {
			return v.info, fmt.Errorf("at %d: %w", off, err)
		}
		switch {
		case is(bx, "moov"):
			if haveMoov {
				return v.info, fmt.Errorf("%w: second moov", ErrMalformed)
			}
			if err := v.moov(bx.body); err != nil {
				return v.info, fmt.Errorf("moov: %w", err)
			}
			haveMoov = true
		case is(bx, "moof"):
			if !haveMoov {
				return v.info, fmt.Errorf("%w: moof before moov", ErrMalformed)
			}
			if err := v.moof(b, off, bx.body); err != nil {
				return v.info, fmt.Errorf("moof at %d: %w", off, err)
			}
			v.info.Fragments++
		}
		off += bx.size
	}
	if !haveMoov {
		return v.info, fmt.Errorf("%w: no moov", ErrMalformed)
	}
	if v.haveVideo {
		v.info.FirstPTS = time.Duration(v.firstPTS)
		v.info.LastPTS = time.Duration(v.maxPTS)
		v.info.Duration = time.Duration(v.maxEnd - v.firstPTS)
	}
	return v.info, nil
}

func (v *Verifier) moov(b []byte) error {
	it := boxes{b: b}
	for it.next() {
		bx := it.box
		switch {
		case is(bx, "trak"):
			if len(v.tracks) == maxTracks {
				return fmt.Errorf("%w: more than %d tracks", ErrTooLarge, maxTracks)
			}
			var t track
			if err := v.trak(&t, bx.body); err != nil {
				return fmt.Errorf("trak: %w", err)
			}
			if t.timescale == 0 {
				return fmt.Errorf("%w: track %d without a media timescale", ErrMalformed, t.id)
			}
			if v.track(t.id) != nil {
				return fmt.Errorf("%w: duplicate track id %d", ErrMalformed, t.id)
			}
			v.tracks = append(v.tracks, t)
			if t.codec.IsVideo() && v.info.VideoCodec == av.CodecUnknown {
				v.info.VideoCodec = t.codec
			}
			if t.codec == av.AAC && v.info.AudioCodec == av.CodecUnknown {
				v.info.AudioCodec = t.codec
			}
		case is(bx, "mvex"):
			in := boxes{b: bx.body}
			for in.next() {
				if !is(in.box, "trex") {
					continue
				}
				_, _, c, err := fullBox(in.box.body)
				if err != nil {
					return err
				}
				if len(c) < 20 {
					return fmt.Errorf("%w: trex", ErrTruncated)
				}
				if t := v.track(u32(c)); t != nil {
					t.defDuration, t.defSize, t.defFlags = u32(c[8:]), u32(c[12:]), u32(c[16:])
				}
			}
			if in.err != nil {
				return in.err
			}
		}
	}
	return it.err
}

// maxTracks bounds the tracks of a slice.
const maxTracks = 8

func (v *Verifier) track(id uint32) *track {
	for i := range v.tracks {
		if v.tracks[i].id == id {
			return &v.tracks[i]
		}
	}
	return nil
}

func (v *Verifier) trak(t *track, b []byte) error {
	it := boxes{b: b}
	for it.next() {
		switch bx := it.box; {
		case is(bx, "tkhd"):
			ver, _, c, err := fullBox(bx.body)
			if err != nil {
				return err
			}
			idOff := 8
			if ver == 1 {
				idOff = 16
			}
			if len(c) < idOff+4 {
				return fmt.Errorf("%w: tkhd", ErrTruncated)
			}
			t.id = u32(c[idOff:])
		case is(bx, "mdia"):
			if err := t.mdia(bx.body); err != nil {
				return err
			}
		}
	}
	return it.err
}

func (t *track) mdia(b []byte) error {
	it := boxes{b: b}
	for it.next() {
		switch bx := it.box; {
		case is(bx, "mdhd"):
			ver, _, c, err := fullBox(bx.body)
			if err != nil {
				return err
			}
			tsOff := 8
			if ver == 1 {
				tsOff = 16
			}
			if len(c) < tsOff+4 {
				return fmt.Errorf("%w: mdhd", ErrTruncated)
			}
			t.timescale = u32(c[tsOff:])
			if t.timescale == 0 {
				return fmt.Errorf("%w: timescale 0", ErrMalformed)
			}
		case is(bx, "hdlr"):
			_, _, c, err := fullBox(bx.body)
			if err != nil {
				return err
			}
			if len(c) < 8 {
				return fmt.Errorf("%w: hdlr", ErrTruncated)
			}
			copy(t.handler[:], c[4:8])
		case is(bx, "minf"):
			in := boxes{b: bx.body}
			for in.next() {
				if !is(in.box, "stbl") {
					continue
				}
				st := boxes{b: in.box.body}
				for st.next() {
					if is(st.box, "stsd") {
						if err := t.stsd(st.box.body); err != nil {
							return err
						}
					}
				}
				if st.err != nil {
					return st.err
				}
			}
			if in.err != nil {
				return in.err
			}
		}
	}
	return it.err
}

// Fixed sizes of the sample entries before their child boxes.
const (
	visualEntryFixed = 78
	audioEntryFixed  = 28
)

func (t *track) stsd(b []byte) error {
	_, _, c, err := fullBox(b)
	if err != nil {
		return err
	}
	if len(c) < 4 {
		return fmt.Errorf("%w: stsd", ErrTruncated)
	}
	if u32(c) == 0 {
		return fmt.Errorf("%w: stsd without entries", ErrMalformed)
	}
	entry, err := nextBox(c[4:]) // the first entry describes the track
	if err != nil {
		return err
	}
	switch string(entry.typ[:]) {
	case "avc1", "avc3", "hvc1", "hev1":
		t.codec = av.H264
		if entry.typ[0] == 'h' {
			t.codec = av.H265
		}
		if len(entry.body) < visualEntryFixed {
			return fmt.Errorf("%w: visual sample entry", ErrTruncated)
		}
		it := boxes{b: entry.body[visualEntryFixed:]}
		for it.next() {
			switch bx := it.box; {
			case is(bx, "avcC") && t.codec == av.H264:
				dc, err := h264.ParseDecoderConfig(bx.body)
				if err != nil {
					return fmt.Errorf("%w: avcC: %v", ErrMalformed, err)
				}
				t.lengthSize = dc.LengthSize
				t.params = len(dc.SPS) > 0 && len(dc.PPS) > 0
				if t.params {
					t.paramBytes = len(dc.SPS[0]) + len(dc.PPS[0])
				}
			case is(bx, "hvcC") && t.codec == av.H265:
				dc, err := h265.ParseDecoderConfig(bx.body)
				if err != nil {
					return fmt.Errorf("%w: hvcC: %v", ErrMalformed, err)
				}
				t.lengthSize = dc.LengthSize
				vps, sps, pps := dc.ParameterSets()
				t.params = vps != nil && sps != nil && pps != nil
				t.paramBytes = len(vps) + len(sps) + len(pps)
			}
		}
		return it.err
	case "mp4a":
		t.codec = av.AAC
	}
	return nil
}

func (v *Verifier) moof(file []byte, moofOff int, b []byte) error {
	it := boxes{b: b}
	for it.next() {
		if is(it.box, "traf") {
			if err := v.traf(file, moofOff, it.box.body); err != nil {
				return err
			}
		}
	}
	return it.err
}

// tfhd flags.
const (
	tfhdBaseDataOffset   = 0x000001
	tfhdSampleDescIndex  = 0x000002
	tfhdDefaultDuration  = 0x000008
	tfhdDefaultSize      = 0x000010
	tfhdDefaultFlags     = 0x000020
	trunFirstSampleFlags = 0x000004
)

func (v *Verifier) traf(file []byte, moofOff int, b []byte) error {
	var t *track
	base := uint64(moofOff)
	var dur, size uint32
	var haveTfdt bool
	var dts uint64
	pos := int64(-1) // data position where the previous trun ended
	it := boxes{b: b}
	for it.next() {
		switch bx := it.box; {
		case is(bx, "tfhd"):
			_, flags, c, err := fullBox(bx.body)
			if err != nil {
				return err
			}
			if len(c) < 4 {
				return fmt.Errorf("%w: tfhd", ErrTruncated)
			}
			if t = v.track(u32(c)); t == nil {
				return fmt.Errorf("%w: tfhd for unknown track %d", ErrMalformed, u32(c))
			}
			dur, size = t.defDuration, t.defSize
			c = c[4:]
			need := 0
			if flags&tfhdBaseDataOffset != 0 {
				need += 8
			}
			for _, bit := range [...]uint32{tfhdSampleDescIndex, tfhdDefaultDuration, tfhdDefaultSize, tfhdDefaultFlags} {
				if flags&bit != 0 {
					need += 4
				}
			}
			if len(c) < need {
				return fmt.Errorf("%w: tfhd fields", ErrTruncated)
			}
			if flags&tfhdBaseDataOffset != 0 {
				base, c = u64(c), c[8:]
			}
			if flags&tfhdSampleDescIndex != 0 {
				c = c[4:]
			}
			if flags&tfhdDefaultDuration != 0 {
				dur, c = u32(c), c[4:]
			}
			if flags&tfhdDefaultSize != 0 {
				size = u32(c)
			}
		case is(bx, "tfdt"):
			if t == nil {
				return fmt.Errorf("%w: tfdt before tfhd", ErrMalformed)
			}
			ver, _, c, err := fullBox(bx.body)
			if err != nil {
				return err
			}
			switch {
			case ver == 1 && len(c) >= 8:
				dts = u64(c)
			case ver == 0 && len(c) >= 4:
				dts = uint64(u32(c))
			default:
				return fmt.Errorf("%w: tfdt", ErrTruncated)
			}
			haveTfdt = true
		case is(bx, "trun"):
			if t == nil {
				return fmt.Errorf("%w: trun before tfhd", ErrMalformed)
			}
			if !haveTfdt {
				dts, haveTfdt = t.nextDTS, true
			}
			var err error
			dts, pos, err = v.trun(file, t, bx.body, base, pos, dur, size, dts)
			t.nextDTS = dts
			if err != nil {
				return err
			}
		}
	}
	return it.err
}

func (v *Verifier) trun(file []byte, t *track, b []byte, base uint64, pos int64, defDur, defSize uint32, dts uint64) (uint64, int64, error) {
	ver, flags, c, err := fullBox(b)
	if err != nil {
		return dts, pos, err
	}
	if len(c) < 4 {
		return dts, pos, fmt.Errorf("%w: trun", ErrTruncated)
	}
	n := u32(c)
	c = c[4:]
	if flags&trunDataOffset != 0 {
		if len(c) < 4 {
			return dts, pos, fmt.Errorf("%w: trun data offset", ErrTruncated)
		}
		pos = int64(base) + int64(int32(u32(c)))
		c = c[4:]
	} else if pos < 0 {
		pos = int64(base)
	}
	if flags&trunFirstSampleFlags != 0 {
		if len(c) < 4 {
			return dts, pos, fmt.Errorf("%w: trun first sample flags", ErrTruncated)
		}
		c = c[4:]
	}
	entry := 0
	for _, bit := range [...]uint32{trunDuration, trunSize, trunFlags, trunCTSOffset} {
		if flags&bit != 0 {
			entry += 4
		}
	}
	if uint64(n)*uint64(entry) > uint64(len(c)) {
		return dts, pos, fmt.Errorf("%w: trun of %d samples in %d bytes", ErrTruncated, n, len(c))
	}
	if entry == 0 && n > uint32(len(file)) {
		return dts, pos, fmt.Errorf("%w: trun of %d samples without entries", ErrMalformed, n)
	}
	for range n {
		dur, size, cts := defDur, defSize, int64(0)
		if flags&trunDuration != 0 {
			dur, c = u32(c), c[4:]
		}
		if flags&trunSize != 0 {
			size, c = u32(c), c[4:]
		}
		if flags&trunFlags != 0 {
			c = c[4:]
		}
		if flags&trunCTSOffset != 0 {
			if ver == 0 {
				cts = int64(u32(c))
			} else {
				cts = int64(int32(u32(c)))
			}
			c = c[4:]
		}
		if pos < 0 || pos+int64(size) > int64(len(file)) {
			return dts, pos, fmt.Errorf("%w: sample of %d bytes at %d outside the %d-byte slice", ErrMalformed, size, pos, len(file))
		}
		sample := file[pos : pos+int64(size)]
		pos += int64(size)
		if err := v.sample(t, sample, dts, cts, dur); err != nil {
			return dts, pos, err
		}
		dts += uint64(dur)
	}
	return dts, pos, nil
}

func (v *Verifier) toNS(t *track, ticks int64) int64 {
	// ticks·1e9/timescale, rounded, without overflow for realistic values.
	ts := int64(t.timescale)
	return ticks/ts*int64(time.Second) + (ticks%ts*int64(time.Second)+ts/2)/ts
}

func (v *Verifier) sample(t *track, s []byte, dts uint64, cts int64, dur uint32) error {
	switch {
	case t.codec == av.AAC:
		if v.info.AudioFrames >= v.lim.MaxAudioFrames {
			return fmt.Errorf("%w: more than %d audio frames", ErrTooLarge, v.lim.MaxAudioFrames)
		}
		v.info.AudioFrames++
		v.info.AudioSizes = append(v.info.AudioSizes, len(s))
		return nil
	case !t.codec.IsVideo() || t.codec != v.info.VideoCodec:
		return nil
	}
	if v.info.VideoFrames >= v.lim.MaxFrames {
		return fmt.Errorf("%w: more than %d video frames", ErrTooLarge, v.lim.MaxFrames)
	}
	if t.lengthSize == 0 {
		return fmt.Errorf("%w: video track without decoder configuration", ErrMalformed)
	}
	var err error
	v.nalus, err = h264.SplitAVCC(v.nalus[:0], s, t.lengthSize)
	if err != nil {
		return fmt.Errorf("%w: video sample %d: %v", ErrMalformed, v.info.VideoFrames, err)
	}
	key, inband := auInfo(t.codec, v.nalus)
	pts := v.toNS(t, int64(dts)+cts)
	end := v.toNS(t, int64(dts)+cts+int64(dur))
	if !v.haveVideo {
		v.haveVideo = true
		v.firstPTS, v.maxPTS, v.maxEnd = pts, pts, end
		v.info.FirstKeyWithParams = key && (t.params || inband)
	}
	v.maxPTS = max(v.maxPTS, pts)
	v.maxEnd = max(v.maxEnd, end)
	v.info.VideoFrames++
	if key {
		v.info.KeyFrames++
	}
	if st, ok := stamp.ReadNALUs(t.codec, v.nalus); ok {
		v.info.Stamps = append(v.info.Stamps, st)
	} else {
		v.info.Unstamped++
	}
	size := 0
	for _, u := range v.nalus {
		if !isAUD(t.codec, u) {
			size += len(u)
		}
	}
	if key && !inband && t.params {
		size += t.paramBytes
	}
	v.info.VideoSizes = append(v.info.VideoSizes, size)
	return nil
}
