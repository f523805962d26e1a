package mpegts

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// Errors of the Verifier; every error it returns wraps one of them.
var (
	ErrTruncated = errors.New("mpegts: truncated")
	ErrMalformed = errors.New("mpegts: malformed")
	ErrTooLarge  = errors.New("mpegts: over limit")
)

// Limits bound what the Verifier accepts and so what it allocates.
type Limits struct {
	// MaxSliceSize is the largest slice accepted, in bytes.
	MaxSliceSize int
	// MaxPESSize is the largest PES (one access unit) accepted. The
	// Verifier reassembles audio PES (at most one at a time) and reads
	// video PES as they arrive, holding only their header and SEI NAL
	// units.
	MaxPESSize int
	// MaxFrames is the most video access units (and so stamps and sizes)
	// recorded.
	MaxFrames int
	// MaxAudioFrames is the most audio frames (and so sizes) recorded.
	MaxAudioFrames int
}

// DefaultLimits: 64 MiB slices, 8 MiB access units, 10,000 video frames,
// 40,000 audio frames.
// With them a Verifier holds at most 2 × 8 MiB of PES buffers (an audio
// PES, an SEI NAL unit) plus per-frame records, whatever the input; for
// what cameras send, a few KB.
func DefaultLimits() Limits {
	return Limits{MaxSliceSize: 64 << 20, MaxPESSize: MaxPESPayload + 64, MaxFrames: 10000, MaxAudioFrames: 40000}
}

// Info is what the Verifier learns from a slice.
type Info struct {
	VideoCodec, AudioCodec   av.Codec
	VideoFrames, AudioFrames int
	KeyFrames                int
	// FirstKeyWithParams: the first video access unit is an IDR (H.265:
	// IRAP) that carries its parameter sets (SPS/PPS, and VPS for H.265).
	FirstKeyWithParams bool
	// FirstPTS is the presentation time of the first video access unit,
	// LastPTS the latest one (33-bit 90 kHz clock, unwrapped across the
	// slice). Duration is LastPTS − FirstPTS plus one frame interval (the
	// last DTS step), i.e. the time the slice's video covers.
	FirstPTS, LastPTS, Duration time.Duration
	// Stamps are the frame stamps of the video access units, in order
	// (only those that carry one).
	Stamps []stamp.Stamp
	// Unstamped counts video access units without a readable stamp.
	Unstamped int
	// VideoSizes and AudioSizes are the media bytes of each frame, in
	// order, read from the slice in the unit a camera counts a frame
	// (av.Frame.Size): a video access unit's NAL units without start
	// codes, trailing zero bytes or access unit delimiters (the Muxer adds
	// one to every PES); an audio frame's AAC raw data block without its
	// ADTS header (an ADTS frame of several blocks, whose boundaries ADTS
	// does not give, has its payload shared evenly, the remainder on the
	// first).
	VideoSizes, AudioSizes []int
	// Bytes is the slice size.
	Bytes int
}

// Verifier parses and checks slices. It keeps its buffers between calls,
// so one Verifier per ingest worker costs no allocation per slice once
// warm. Not safe for concurrent use.
type Verifier struct {
	lim   Limits
	video videoPES
	audio pesBuf
	info  Info
	rbuf  []byte // VerifyReader's read buffer

	tables
	lastDTS, prevDTS int64 // unwrapped 90 kHz
	firstPTS, maxPTS int64
	refPTS           uint64 // last raw PTS, for unwrapping
	curPTS           int64  // its unwrapped value
	haveVideo        bool
}

type pesBuf struct {
	b       []byte
	active  bool
	cc      uint8
	started bool // cc valid
}

// NewVerifier returns a Verifier with the given limits (zero fields take
// the defaults).
func NewVerifier(lim Limits) *Verifier {
	d := DefaultLimits()
	if lim.MaxSliceSize <= 0 {
		lim.MaxSliceSize = d.MaxSliceSize
	}
	if lim.MaxPESSize <= 0 {
		lim.MaxPESSize = d.MaxPESSize
	}
	if lim.MaxFrames <= 0 {
		lim.MaxFrames = d.MaxFrames
	}
	if lim.MaxAudioFrames <= 0 {
		lim.MaxAudioFrames = d.MaxAudioFrames
	}
	return &Verifier{lim: lim}
}

// Verify parses a whole slice. The returned Info (Stamps included) is
// valid until the next call. A slice that is not a whole number of
// packets, loses sync, skips a continuity counter, lacks PAT/PMT before
// its media, or holds malformed PES/ADTS is an error.
func (v *Verifier) Verify(slice []byte) (Info, error) {
	v.reset()
	v.info.Bytes = len(slice)
	if len(slice) > v.lim.MaxSliceSize {
		return v.info, fmt.Errorf("%w: slice of %d bytes exceeds %d", ErrTooLarge, len(slice), v.lim.MaxSliceSize)
	}
	if len(slice) == 0 {
		return v.info, fmt.Errorf("%w: empty slice", ErrTruncated)
	}
	if len(slice)%PacketSize != 0 {
		return v.info, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte packets", ErrTruncated, len(slice), PacketSize)
	}
	for off := 0; off < len(slice); off += PacketSize {
		if err := v.packet(slice[off : off+PacketSize]); err != nil {
			return v.info, fmt.Errorf("packet %d: %w", off/PacketSize, err)
		}
	}
	return v.finish()
}

// finish flushes the last PES packets and completes the Info.
func (v *Verifier) finish() (Info, error) {
	if err := v.flushVideo(); err != nil {
		return v.info, err
	}
	if err := v.flushAudio(); err != nil {
		return v.info, err
	}
	if !v.haveTables {
		return v.info, fmt.Errorf("%w: no PAT/PMT", ErrMalformed)
	}
	if v.info.VideoFrames > 0 {
		v.info.FirstPTS = ptsDuration(v.firstPTS)
		v.info.LastPTS = ptsDuration(v.maxPTS)
		step := int64(0)
		if v.info.VideoFrames > 1 {
			step = v.lastDTS - v.prevDTS
		}
		v.info.Duration = ptsDuration(v.maxPTS - v.firstPTS + step)
	}
	return v.info, nil
}

// ptsDuration converts 90 kHz ticks to a Duration, rounded to the
// nanosecond.
func ptsDuration(t int64) time.Duration { return time.Duration((t*100000 + 4) / 9) }

func (v *Verifier) reset() {
	v.info = Info{Stamps: v.info.Stamps[:0], VideoSizes: v.info.VideoSizes[:0], AudioSizes: v.info.AudioSizes[:0]}
	v.video.active, v.video.started = false, false
	v.audio.b, v.audio.active, v.audio.started = v.audio.b[:0], false, false
	v.tables = tables{}
	v.haveVideo = false
	v.curPTS, v.refPTS = 0, 0
}

func (v *Verifier) packet(p []byte) error {
	if p[0] != SyncByte {
		return fmt.Errorf("%w: sync byte 0x%02x", ErrMalformed, p[0])
	}
	if p[1]&0x80 != 0 {
		return fmt.Errorf("%w: transport error indicator set", ErrMalformed)
	}
	pusi := p[1]&0x40 != 0
	pid := uint16(p[1]&0x1F)<<8 | uint16(p[2])
	if p[3]&0xC0 != 0 {
		return fmt.Errorf("%w: scrambled packet", ErrMalformed)
	}
	afc := p[3] >> 4 & 3
	cc := p[3] & 0x0F
	payload := p[4:]
	if afc == 0 {
		return fmt.Errorf("%w: adaptation_field_control 0", ErrMalformed)
	}
	if afc&2 != 0 {
		n := int(payload[0])
		if n > len(payload)-1 || afc == 3 && n > 182 {
			return fmt.Errorf("%w: adaptation field length %d", ErrMalformed, n)
		}
		payload = payload[1+n:]
	}
	if afc&1 == 0 {
		payload = nil
	}
	switch {
	case pid == PIDPAT:
		if pusi {
			return v.pat(payload)
		}
		return nil
	case v.pmtPID != 0 && pid == v.pmtPID:
		if pusi {
			return v.pmt(payload, &v.info)
		}
		return nil
	case pid == 0x1FFF: // null packets
		return nil
	}
	switch {
	case v.videoPID != 0 && pid == v.videoPID:
		return v.videoPacket(pid, pusi, afc, cc, payload)
	case v.audioPID != 0 && pid == v.audioPID:
		return v.audioPacket(pid, pusi, afc, cc, payload)
	}
	return nil // SDT, other programs, media before PAT/PMT: ignored
}

// videoPacket reads a packet of the video PID.
func (v *Verifier) videoPacket(pid uint16, pusi bool, afc, cc uint8, payload []byte) error {
	p := &v.video
	if afc&1 != 0 {
		if p.started && cc != (p.cc+1)&0x0F {
			return fmt.Errorf("%w: continuity counter on PID 0x%x jumps %d → %d", ErrMalformed, pid, p.cc, cc)
		}
		p.cc, p.started = cc, true
	}
	if pusi {
		if err := v.flushVideo(); err != nil {
			return err
		}
		p.begin(v)
	}
	if !p.active {
		return nil // payload continuing a PES that began before the slice
	}
	if p.size+len(payload) > v.lim.MaxPESSize {
		return fmt.Errorf("%w: PES on PID 0x%x exceeds %d bytes", ErrTooLarge, pid, v.lim.MaxPESSize)
	}
	if p.inBody && p.bodyEnd < 0 { // most packets: payload to the end of the PES
		p.size += len(payload)
		p.au.write(payload)
		return nil
	}
	p.write(payload)
	return nil
}

// audioPacket reads a packet of the audio PID.
func (v *Verifier) audioPacket(pid uint16, pusi bool, afc, cc uint8, payload []byte) error {
	buf := &v.audio
	if afc&1 != 0 {
		if buf.started && cc != (buf.cc+1)&0x0F {
			return fmt.Errorf("%w: continuity counter on PID 0x%x jumps %d → %d", ErrMalformed, pid, buf.cc, cc)
		}
		buf.cc, buf.started = cc, true
	}
	if pusi {
		if err := v.flushAudio(); err != nil {
			return err
		}
		buf.active = true
	}
	if !buf.active {
		return nil // payload continuing a PES that began before the slice
	}
	if len(buf.b)+len(payload) > v.lim.MaxPESSize {
		return fmt.Errorf("%w: PES on PID 0x%x exceeds %d bytes", ErrTooLarge, pid, v.lim.MaxPESSize)
	}
	buf.b = append(buf.b, payload...)
	return nil
}

// flushAudio processes the audio PES accumulated.
func (v *Verifier) flushAudio() error {
	buf := &v.audio
	if !buf.active {
		return nil
	}
	buf.active = false
	b := buf.b
	buf.b = buf.b[:0]
	_, _, es, err := parsePES(b)
	if err != nil {
		return err
	}
	return v.audioPES(es)
}

// unwrap turns a 33-bit timestamp into a continuous one near the previous.
func (v *Verifier) unwrap(raw int64) int64 {
	if !v.haveVideo {
		v.refPTS, v.curPTS = uint64(raw), raw
		return raw
	}
	v.curPTS += signed33(raw - int64(v.refPTS))
	v.refPTS = uint64(raw)
	return v.curPTS
}

// signed33 reduces a difference of 33-bit timestamps to (−2^32, 2^32].
func signed33(d int64) int64 {
	d &= tsMask
	if d > tsPeriod/2 {
		d -= tsPeriod
	}
	return d
}

// videoAU records a video access unit: its timestamps and whether it is a
// key picture with its parameter sets.
func (v *Verifier) videoAU(rawPTS, rawDTS int64, key, params bool) {
	// DTS is unwrapped relative to the PTS timeline (they differ by less
	// than half the wrap period).
	pts := v.unwrap(rawPTS)
	dts := pts - signed33(rawPTS-rawDTS)
	if !v.haveVideo {
		v.haveVideo = true
		v.firstPTS, v.maxPTS, v.lastDTS = pts, pts, dts
		v.info.FirstKeyWithParams = key && params
	}
	v.prevDTS, v.lastDTS = v.lastDTS, dts
	if pts > v.maxPTS {
		v.maxPTS = pts
	}
	v.info.VideoFrames++
	if key {
		v.info.KeyFrames++
	}
}

// audioPES counts the ADTS frames (raw data blocks) of an audio PES and
// records their sizes.
func (v *Verifier) audioPES(es []byte) error {
	for len(es) > 0 {
		h, payload, rest, err := aac.SplitADTS(es)
		if err != nil {
			return fmt.Errorf("%w: audio frame %d: %v", ErrMalformed, v.info.AudioFrames, err)
		}
		n := h.RawDataBlocks
		if v.info.AudioFrames+n > v.lim.MaxAudioFrames {
			return fmt.Errorf("%w: more than %d audio frames", ErrTooLarge, v.lim.MaxAudioFrames)
		}
		if n > 0 {
			each := len(payload) / n
			v.info.AudioSizes = append(v.info.AudioSizes, each+len(payload)%n)
			for range n - 1 {
				v.info.AudioSizes = append(v.info.AudioSizes, each)
			}
		}
		v.info.AudioFrames += n
		es = rest
	}
	return nil
}
