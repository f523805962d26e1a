package mpegts

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// wholeVerifier is the Verifier as it was before it verified video access
// units as they stream (it assembled each one whole): the reference of the
// differential test, kept until it is deleted.
//
// It parses and checks slices. It keeps its buffers between calls,
// so one wholeVerifier per ingest worker costs no allocation per slice once
// warm. Not safe for concurrent use.
type wholeVerifier struct {
	lim   Limits
	video pesBuf
	audio pesBuf
	nalus [][]byte
	info  Info
	rbuf  []byte // VerifyReader's read buffer

	tables
	lastDTS, prevDTS int64 // unwrapped 90 kHz
	firstPTS, maxPTS int64
	refPTS           uint64 // last raw PTS, for unwrapping
	curPTS           int64  // its unwrapped value
	haveVideo        bool
}

// newWholeVerifier returns a wholeVerifier with the given limits (zero fields take
// the defaults).
func newWholeVerifier(lim Limits) *wholeVerifier {
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
	return &wholeVerifier{lim: lim}
}

// Verify parses a whole slice. The returned Info (Stamps included) is
// valid until the next call. A slice that is not a whole number of
// packets, loses sync, skips a continuity counter, lacks PAT/PMT before
// its media, or holds malformed PES/ADTS is an error.
func (v *wholeVerifier) Verify(slice []byte) (Info, error) {
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
func (v *wholeVerifier) finish() (Info, error) {
	if err := v.flush(&v.video, true); err != nil {
		return v.info, err
	}
	if err := v.flush(&v.audio, false); err != nil {
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

func (v *wholeVerifier) reset() {
	v.info = Info{Stamps: v.info.Stamps[:0], VideoSizes: v.info.VideoSizes[:0], AudioSizes: v.info.AudioSizes[:0]}
	v.video.b, v.video.active, v.video.started = v.video.b[:0], false, false
	v.audio.b, v.audio.active, v.audio.started = v.audio.b[:0], false, false
	v.tables = tables{}
	v.haveVideo = false
	v.curPTS, v.refPTS = 0, 0
}

func (v *wholeVerifier) packet(p []byte) error {
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
	var buf *pesBuf
	isVideo := false
	switch {
	case v.videoPID != 0 && pid == v.videoPID:
		buf, isVideo = &v.video, true
	case v.audioPID != 0 && pid == v.audioPID:
		buf = &v.audio
	default:
		return nil // SDT, other programs, media before PAT/PMT: ignored
	}
	if afc&1 != 0 {
		if buf.started && cc != (buf.cc+1)&0x0F {
			return fmt.Errorf("%w: continuity counter on PID 0x%x jumps %d → %d", ErrMalformed, pid, buf.cc, cc)
		}
		buf.cc, buf.started = cc, true
	}
	if pusi {
		if err := v.flush(buf, isVideo); err != nil {
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

// flush processes the PES accumulated in buf.
func (v *wholeVerifier) flush(buf *pesBuf, isVideo bool) error {
	if !buf.active {
		return nil
	}
	buf.active = false
	b := buf.b
	buf.b = buf.b[:0]
	pts, dts, es, err := parsePES(b)
	if err != nil {
		return err
	}
	if isVideo {
		return v.videoAU(pts, dts, es)
	}
	return v.audioPES(es)
}

// unwrap turns a 33-bit timestamp into a continuous one near the previous.
func (v *wholeVerifier) unwrap(raw int64) int64 {
	if !v.haveVideo {
		v.refPTS, v.curPTS = uint64(raw), raw
		return raw
	}
	v.curPTS += signed33(raw - int64(v.refPTS))
	v.refPTS = uint64(raw)
	return v.curPTS
}

func (v *wholeVerifier) videoAU(rawPTS, rawDTS int64, es []byte) error {
	if rawPTS < 0 {
		return fmt.Errorf("%w: video PES without PTS", ErrMalformed)
	}
	if v.info.VideoFrames >= v.lim.MaxFrames {
		return fmt.Errorf("%w: more than %d video frames", ErrTooLarge, v.lim.MaxFrames)
	}
	var err error
	v.nalus, err = h264.SplitAnnexB(v.nalus[:0], es)
	if err != nil {
		return fmt.Errorf("%w: video access unit %d: %v", ErrMalformed, v.info.VideoFrames, err)
	}
	key, params := auInfo(v.info.VideoCodec, v.nalus)
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
	if s, ok := stamp.ReadNALUs(v.info.VideoCodec, v.nalus); ok {
		v.info.Stamps = append(v.info.Stamps, s)
	} else {
		v.info.Unstamped++
	}
	size := 0
	for _, u := range v.nalus {
		if !isAUD(v.info.VideoCodec, u) {
			size += len(u)
		}
	}
	v.info.VideoSizes = append(v.info.VideoSizes, size)
	return nil
}

// audioPES counts the ADTS frames (raw data blocks) of an audio PES.
func (v *wholeVerifier) audioPES(es []byte) error {
	for len(es) > 0 {
		h, payload, rest, err := aac.SplitADTS(es)
		if err != nil {
			return fmt.Errorf("%w: audio frame %d: %v", ErrMalformed, v.info.AudioFrames, err)
		}
		if v.info.AudioFrames+h.RawDataBlocks > v.lim.MaxAudioFrames {
			return fmt.Errorf("%w: more than %d audio frames", ErrTooLarge, v.lim.MaxAudioFrames)
		}
		for i := range h.RawDataBlocks {
			n := len(payload) / h.RawDataBlocks
			if i == 0 {
				n += len(payload) % h.RawDataBlocks
			}
			v.info.AudioSizes = append(v.info.AudioSizes, n)
		}
		v.info.AudioFrames += h.RawDataBlocks
		es = rest
	}
	return nil
}

// auInfo reports whether an access unit holds a key picture (H.264 IDR,
// H.265 IRAP) and carries its parameter sets (SPS/PPS, and VPS for H.265).
func auInfo(c av.Codec, nalus [][]byte) (key, params bool) {
	if c == av.H265 {
		vps, sps, pps := h265.ParameterSets(nalus)
		return h265.IsKeyFrame(nalus), vps != nil && sps != nil && pps != nil
	}
	sps, pps := h264.ParameterSets(nalus)
	return h264.IsKeyFrame(nalus), sps != nil && pps != nil
}
