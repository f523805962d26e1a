package mpegts

import (
	"bytes"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// auScan learns what the Verifier checks of a video access unit from its
// Annex-B bytes as they arrive, in pieces, without holding them: the NAL
// units are found as h264.SplitAnnexB finds them (same start codes, same
// trailing zeros dropped, same errors), and of each only its first two
// bytes are kept — and, while the stamp is still sought (before the first
// coded slice), the whole of an SEI NAL unit, the only one whose body is
// read. What it reports equals the key picture, parameter sets and
// stamp.ReadNALUs over the SplitAnnexB of the whole access unit.
type auScan struct {
	codec   av.Codec
	started bool  // the first start code was seen
	lead    int   // zero bytes before it
	err     error // h264.ErrNoStartCode or h264.ErrTooManyNALUs, sticky
	n       int   // NAL units (non-empty) so far
	media   int   // their bytes, access unit delimiters left out

	// the NAL unit being read
	nalLen int     // its bytes so far, trailing zeros included
	zeros  int     // trailing zero bytes among them
	first  [2]byte // its first bytes
	keep   bool    // its bytes are gathered in sei (it may hold the stamp)
	sei    []byte

	key, vps, sps, pps bool
	sought             bool // the stamp search is over (found, or a slice came first)
	stamp              stamp.Stamp
	stamped            bool
}

// reset starts a new access unit of codec c, keeping the SEI buffer.
func (s *auScan) reset(c av.Codec) {
	*s = auScan{codec: c, sei: s.sei[:0]}
}

// write feeds the next bytes of the access unit.
func (s *auScan) write(c []byte) {
	if s.err != nil {
		return
	}
	if !s.started {
		i := 0
		for i < len(c) && c[i] == 0 {
			i++
		}
		s.lead += i
		if i == len(c) {
			return
		}
		if s.lead < 2 || c[i] != 1 {
			s.err = h264.ErrNoStartCode
			return
		}
		s.started = true
		s.begin()
		c = c[i+1:]
	}
	// A start code is a 1 after two zero bytes of the current NAL unit
	// (those before c are counted in s.zeros). Searching for the 1 makes
	// few false hits in coded pictures, where zero bytes are common.
	for len(c) > 0 {
		k := bytes.IndexByte(c, 1)
		if k < 0 {
			s.add(c)
			return
		}
		var sc bool
		switch k {
		case 0:
			sc = s.zeros >= 2
		case 1:
			sc = c[0] == 0 && s.zeros >= 1
		default:
			sc = c[k-1] == 0 && c[k-2] == 0
		}
		if !sc {
			s.add(c[:k+1])
			c = c[k+1:]
			continue
		}
		s.add(c[:k])
		s.end()
		if s.err != nil {
			return
		}
		c = c[k+1:]
	}
}

// begin starts a NAL unit.
func (s *auScan) begin() {
	s.nalLen, s.zeros = 0, 0
	s.keep = !s.sought
	s.sei = s.sei[:0]
}

// add appends bytes to the current NAL unit.
func (s *auScan) add(p []byte) {
	if len(p) == 0 {
		return
	}
	if s.nalLen < 2 {
		copy(s.first[s.nalLen:], p)
	}
	s.nalLen += len(p)
	j := len(p)
	for j > 0 && p[j-1] == 0 {
		j--
	}
	if j == 0 {
		s.zeros += len(p)
	} else {
		s.zeros = len(p) - j
	}
	if s.keep {
		if s.notSEI() {
			s.keep = false
			s.sei = s.sei[:0]
		} else {
			s.sei = append(s.sei, p...)
		}
	}
}

// notSEI reports whether the first byte of the current NAL unit shows that
// it is no SEI.
func (s *auScan) notSEI() bool {
	if s.codec == av.H265 {
		t := h265.NALType(s.first[0] >> 1 & 0x3F)
		return t != h265.NALSEIPrefix && t != h265.NALSEISuffix
	}
	return h264.NALType(s.first[0]&0x1F) != h264.NALSEI
}

// end completes the current NAL unit (its trailing zeros dropped) and
// begins the next.
func (s *auScan) end() {
	if u := s.nalLen - s.zeros; u > 0 {
		if s.n >= h264.MaxNALUsPerAU {
			s.err = h264.ErrTooManyNALUs
			return
		}
		s.n++
		s.nalu(s.first[:min(u, 2)], u)
	}
	s.begin()
}

// nalu records a NAL unit of size bytes that begins with head.
func (s *auScan) nalu(head []byte, size int) {
	if !isAUD(s.codec, head) {
		s.media += size
	}
	vcl := false
	if s.codec == av.H265 {
		t := h265.Type(head)
		s.key = s.key || t.IsIRAP() // Type is 0 for one byte
		s.vps = s.vps || t == h265.NALVPS
		s.sps = s.sps || t == h265.NALSPS
		s.pps = s.pps || t == h265.NALPPS
		vcl = head[0]>>1&0x3F < 32
	} else {
		t := h264.Type(head)
		s.key = s.key || t == h264.NALIDR
		s.sps = s.sps || t == h264.NALSPS
		s.pps = s.pps || t == h264.NALPPS
		vcl = t >= 1 && t <= 5
	}
	switch {
	case s.sought:
	case vcl:
		s.sought = true
	case s.keep:
		if st, ok := stamp.Read(s.codec, s.sei[:size]); ok {
			s.stamp, s.stamped, s.sought = st, true, true
		}
	}
}

// finish completes the access unit: the SplitAnnexB error, if any.
func (s *auScan) finish() error {
	if s.err != nil {
		return s.err
	}
	if !s.started {
		return h264.ErrNoStartCode
	}
	s.end()
	return s.err
}

// params reports whether the access unit carries its parameter sets.
func (s *auScan) params() bool {
	if s.codec == av.H265 {
		return s.vps && s.sps && s.pps
	}
	return s.sps && s.pps
}
