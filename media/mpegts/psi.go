package mpegts

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/av"
)

// section returns the PSI section after the pointer field, checked for
// length and CRC. Sections must fit in their first packet.
func section(payload []byte, tableID byte) ([]byte, error) {
	if len(payload) < 1 {
		return nil, fmt.Errorf("%w: PSI pointer field", ErrTruncated)
	}
	ptr := int(payload[0])
	if 1+ptr+3 > len(payload) {
		return nil, fmt.Errorf("%w: PSI pointer field %d", ErrMalformed, ptr)
	}
	s := payload[1+ptr:]
	if s[0] != tableID {
		return nil, fmt.Errorf("%w: table id 0x%02x, want 0x%02x", ErrMalformed, s[0], tableID)
	}
	n := int(s[1]&0x0F)<<8 | int(s[2])
	if n < 9 || 3+n > len(s) {
		return nil, fmt.Errorf("%w: section length %d (sections spanning packets are not supported)", ErrMalformed, n)
	}
	s = s[:3+n]
	if crc32MPEG(s) != 0 {
		return nil, fmt.Errorf("%w: table 0x%02x CRC mismatch", ErrMalformed, tableID)
	}
	return s[:len(s)-4], nil
}

// tables is what a reader of a TS has learnt from its PAT and PMT.
type tables struct {
	pmtPID             uint16
	videoPID, audioPID uint16
	haveTables         bool
}

func (v *tables) pat(payload []byte) error {
	s, err := section(payload, 0x00)
	if err != nil {
		return err
	}
	for e := s[8:]; len(e) >= 4; e = e[4:] {
		prog := uint16(e[0])<<8 | uint16(e[1])
		pid := uint16(e[2]&0x1F)<<8 | uint16(e[3])
		if prog != 0 {
			v.pmtPID = pid
			return nil
		}
	}
	return fmt.Errorf("%w: PAT without a program", ErrMalformed)
}

// pmt reads a PMT; the stream codecs go to info (a PMT that changes them
// within a slice is an error).
func (v *tables) pmt(payload []byte, info *Info) error {
	s, err := section(payload, 0x02)
	if err != nil {
		return err
	}
	if len(s) < 12 {
		return fmt.Errorf("%w: PMT of %d bytes", ErrTruncated, len(s))
	}
	pil := int(s[10]&0x0F)<<8 | int(s[11])
	if 12+pil > len(s) {
		return fmt.Errorf("%w: program_info_length %d", ErrMalformed, pil)
	}
	var video, audio uint16
	var vc, ac av.Codec
	for e := s[12+pil:]; len(e) > 0; {
		if len(e) < 5 {
			return fmt.Errorf("%w: PMT stream entry", ErrTruncated)
		}
		st := e[0]
		pid := uint16(e[1]&0x1F)<<8 | uint16(e[2])
		il := int(e[3]&0x0F)<<8 | int(e[4])
		if 5+il > len(e) {
			return fmt.Errorf("%w: ES_info_length %d", ErrMalformed, il)
		}
		e = e[5+il:]
		switch st {
		case StreamTypeH264, StreamTypeH265:
			if video == 0 {
				video, vc = pid, av.H264
				if st == StreamTypeH265 {
					vc = av.H265
				}
			}
		case StreamTypeAAC:
			if audio == 0 {
				audio, ac = pid, av.AAC
			}
		}
	}
	if v.haveTables && (video != v.videoPID || audio != v.audioPID || vc != info.VideoCodec) {
		return fmt.Errorf("%w: PMT changed within the slice", ErrMalformed)
	}
	if video == 0 && audio == 0 {
		return fmt.Errorf("%w: PMT has no H.264/H.265/AAC stream", ErrMalformed)
	}
	v.videoPID, v.audioPID = video, audio
	info.VideoCodec, info.AudioCodec = vc, ac
	v.haveTables = true
	return nil
}
