package mpegts

import "fmt"

// videoPES is the video PES the Verifier is reading: its header (at most
// maxPESHeader bytes) is kept to be checked when the PES ends, and its
// payload goes through an auScan as it arrives, so the Verifier holds no
// access unit, whatever its size.
type videoPES struct {
	active  bool
	cc      uint8
	started bool // cc valid

	size   int // bytes of the PES so far
	hdr    [maxPESHeader]byte
	hn     int  // bytes in hdr
	inBody bool // the header is complete: later bytes are payload
	// the payload's place in the PES, known once the header is complete
	// (end −1: to the end of the PES)
	bodyStart, bodyEnd int
	au                 auScan
}

// begin starts a PES.
func (p *videoPES) begin(v *Verifier) {
	p.active = true
	p.size, p.hn, p.inBody = 0, 0, false
	p.au.reset(v.info.VideoCodec)
}

// write feeds the next bytes of the PES.
func (p *videoPES) write(b []byte) {
	pos := p.size
	p.size += len(b)
	if !p.inBody {
		need := 9
		if p.hn >= 9 {
			need += int(p.hdr[8])
		}
		for p.hn < need && len(b) > 0 {
			k := copy(p.hdr[p.hn:need], b)
			p.hn += k
			pos += k
			b = b[k:]
			if p.hn == 9 {
				need += int(p.hdr[8])
			}
		}
		if p.hn < need {
			return
		}
		p.inBody = true
		p.bodyStart, p.bodyEnd = need, -1
		if length := int(p.hdr[4])<<8 | int(p.hdr[5]); length != 0 {
			p.bodyEnd = max(6+length, need)
		}
	}
	if p.bodyEnd >= 0 {
		if pos >= p.bodyEnd {
			return
		}
		b = b[:min(len(b), p.bodyEnd-pos)]
	}
	p.au.write(b)
}

// flushVideo completes the video PES being read: what flush does with a
// whole one.
func (v *Verifier) flushVideo() error {
	p := &v.video
	if !p.active {
		return nil
	}
	p.active = false
	pts, dts, _, _, err := parsePESHeader(p.hdr[:p.hn], p.size)
	if err != nil {
		return err
	}
	if pts < 0 {
		return fmt.Errorf("%w: video PES without PTS", ErrMalformed)
	}
	if v.info.VideoFrames >= v.lim.MaxFrames {
		return fmt.Errorf("%w: more than %d video frames", ErrTooLarge, v.lim.MaxFrames)
	}
	if err := p.au.finish(); err != nil {
		return fmt.Errorf("%w: video access unit %d: %v", ErrMalformed, v.info.VideoFrames, err)
	}
	v.videoAU(pts, dts, p.au.key, p.au.params())
	v.info.VideoSizes = append(v.info.VideoSizes, p.au.media)
	if p.au.stamped {
		v.info.Stamps = append(v.info.Stamps, p.au.stamp)
	} else {
		v.info.Unstamped++
	}
	return nil
}
