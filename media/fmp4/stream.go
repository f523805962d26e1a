package fmp4

import (
	"fmt"
	"io"

	"github.com/fleetsim/fleetsim/media/av"
)

// SliceSize returns the number of bytes AppendSlice appends for the same
// frames, without writing the samples and without changing m's fragment
// sequence. It fails with AppendSlice's error where AppendSlice would.
func (m *Muxer) SliceSize(video, audio []*av.Frame) (int, error) {
	seq := m.seq
	var w [2]window
	size, err := m.measure(av.Ptrs(video), av.Ptrs(audio), &w)
	m.seq = seq
	return size, err
}

// measure is the size of the slice of video and audio; it advances m.seq
// past each fragment it accepts, as AppendSlice does. w is the scratch of
// lists that are not av.Ptrs.
func (m *Muxer) measure(video, audio av.List, w *[2]window) (int, error) {
	if m.init == 0 {
		m.hdr = m.AppendInit(m.hdr[:0])
		m.init = len(m.hdr)
	}
	size := m.init
	var sc *[2]av.Frame
	_, vp := video.(av.Ptrs)
	_, ap := audio.(av.Ptrs)
	if !vp || !ap {
		sc = new([2]av.Frame)
	}
	m.frags = fragments(m.frags[:0], video, audio, sc)
	for _, fr := range m.frags {
		v, a := w[0].load(video, fr.v0, fr.v1), w[1].load(audio, fr.a0, fr.a1)
		var f fragment
		var err error
		if m.sizes, f, err = m.checkFragment(m.sizes[:0], v, a); err != nil {
			return 0, err
		}
		m.seq++
		m.hdr = m.appendFragmentHeader(m.hdr[:0], m.seq, v, a, m.sizes, f)
		size += len(m.hdr) + f.videoBytes + f.audioBytes
	}
	return size, nil
}

// Slice is the fMP4 of a list of frames, muxed on demand: every Open
// returns a reader of exactly the bytes AppendSlice would have appended for
// the frames (fragment sequence numbers included) at the time of the Cut,
// as often as needed. It holds the frame lists (shared, immutable frames)
// (or compact av.Packed lists) and never the muxed bytes. Safe for
// concurrent use.
type Slice struct {
	m            *Muxer // configuration only, never its sequence
	seq          uint32 // the fragment sequence before the slice
	video, audio av.List
	frags        []fragRange
	size         int
}

// Cut returns the frames as a Slice and advances m's fragment sequence
// past it, as AppendSlice would. On an error (frames AppendSlice refuses)
// it returns no Slice, and the sequence stands past the fragments before
// the refused one, as with AppendSlice. The Slice keeps video and audio
// (the slice headers, not copies): the caller must not change them.
func (m *Muxer) Cut(video, audio []*av.Frame) (*Slice, error) {
	return m.CutList(av.Ptrs(video), av.Ptrs(audio))
}

// CutList is Cut of any frame Lists (audio may be nil: none); the Slice
// keeps them, and they must not change.
func (m *Muxer) CutList(video, audio av.List) (*Slice, error) {
	if audio == nil {
		audio = av.Ptrs(nil)
	}
	var w [2]window
	seq := m.seq
	size, err := m.measure(video, audio, &w)
	if err != nil {
		return nil, err
	}
	return &Slice{m: m, seq: seq, video: video, audio: audio,
		frags: append([]fragRange(nil), m.frags...), size: size}, nil
}

// Size is the length of the Slice's fMP4 in bytes.
func (s *Slice) Size() int64 { return int64(s.size) }

// Frames are the video and audio frame lists of the Slice (for compact
// Lists, copies of their frames: see av.Frames).
func (s *Slice) Frames() (video, audio []*av.Frame) {
	return av.Frames(s.video), av.Frames(s.audio)
}

// Open returns a new reader of the Slice's bytes from the start.
func (s *Slice) Open() io.Reader { return s.NewReader() }

// NewReader is Open with the concrete type.
func (s *Slice) NewReader() *SliceReader {
	r := &SliceReader{s: s, seq: s.seq, sizes: make([]uint32, 0, 64)}
	r.hdr = s.m.AppendInit(make([]byte, 0, s.m.init+1024))
	r.frag = -1
	return r
}

// SliceReader muxes a Slice as it is read. Its state is the box headers
// of the fragment being read (its moof: 16 bytes per sample) and its
// position in the frame lists (with the fragment's frames materialised
// when the lists are compact): never the slice. Not safe for concurrent
// use.
type SliceReader struct {
	s      *Slice
	win    [2]window   // the current fragment's frames of compact lists
	v, a   []*av.Frame // the current fragment's video and audio frames
	seq    uint32
	hdr    []byte // the init segment, then the current fragment's moof and mdat header
	hdrOff int    // bytes of hdr read
	sizes  []uint32
	frag   int // current fragment (-1: the init segment)
	vi, ni int // video frame (in v) and NAL unit being read
	lenOff int // bytes of the NAL unit's length prefix read (0..4)
	uOff   int // bytes of the NAL unit read
	ai     int // audio frame (in a) being read
	aOff   int // bytes of its payload read
	err    error
}

// Read implements io.Reader.
func (r *SliceReader) Read(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && r.err == nil {
		if r.hdrOff < len(r.hdr) {
			k := copy(p, r.hdr[r.hdrOff:])
			r.hdrOff += k
			n += k
			p = p[k:]
			continue
		}
		k, more := r.samples(p)
		n += k
		p = p[k:]
		if !more && !r.next() {
			break
		}
	}
	if n > 0 {
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	return 0, io.EOF
}

// next sets up the following fragment's headers; false at the end or on
// an error (in r.err).
func (r *SliceReader) next() bool {
	if r.frag+1 >= len(r.s.frags) {
		return false
	}
	r.frag++
	fr := r.s.frags[r.frag]
	r.v, r.a = r.win[0].load(r.s.video, fr.v0, fr.v1), r.win[1].load(r.s.audio, fr.a0, fr.a1)
	v, a := r.v, r.a
	var f fragment
	var err error
	if r.sizes, f, err = r.s.m.checkFragment(r.sizes[:0], v, a); err != nil {
		// Cut accepted every frame: only a changed frame gets here
		r.err = fmt.Errorf("fmp4: fragment %d of a cut slice changed: %w", r.frag, err)
		return false
	}
	r.seq++
	r.hdr, r.hdrOff = r.s.m.appendFragmentHeader(r.hdr[:0], r.seq, v, a, r.sizes, f), 0
	r.vi, r.ni, r.lenOff, r.uOff, r.ai, r.aOff = 0, 0, 0, 0, 0, 0
	return true
}

// samples copies the current fragment's sample bytes into p and reports
// whether any are left.
func (r *SliceReader) samples(p []byte) (int, bool) {
	if r.frag < 0 {
		return 0, false
	}
	n := 0
	for len(p) > 0 {
		if r.vi < len(r.v) {
			f := r.v[r.vi]
			if r.ni == len(f.NALUs) {
				r.vi, r.ni = r.vi+1, 0
				continue
			}
			u := f.NALUs[r.ni]
			if !r.s.m.keep(u) {
				r.ni++
				continue
			}
			if r.lenOff < 4 {
				var l [4]byte
				putU32(l[:], uint32(len(u)))
				k := copy(p, l[r.lenOff:])
				r.lenOff += k
				n += k
				p = p[k:]
				continue
			}
			k := copy(p, u[r.uOff:])
			r.uOff += k
			n += k
			p = p[k:]
			if r.uOff == len(u) {
				r.ni, r.lenOff, r.uOff = r.ni+1, 0, 0
			}
			continue
		}
		if r.ai < len(r.a) {
			a := r.a[r.ai].Payload
			k := copy(p, a[r.aOff:])
			r.aOff += k
			n += k
			p = p[k:]
			if r.aOff == len(a) {
				r.ai, r.aOff = r.ai+1, 0
			}
			continue
		}
		return n, false
	}
	return n, r.vi < len(r.v) || r.ai < len(r.a)
}
