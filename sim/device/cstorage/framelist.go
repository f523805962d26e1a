package cstorage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// The frame-list container is a plain slice body used until the TS and fMP4
// muxers of media/ land: a header, then per frame a fixed record and its
// media bytes. It carries exactly what a cloud needs to account frames
// (stream, sequence, key flag, PTS, capture time) and is as large as the
// media it holds.
//
//	magic "FSFL" | version u8 | count u32
//	count × ( stream u8 | key u8 | seq u64 | pts i64 ns | capture i64 unix ns | size u32 | size bytes )
//
// Video bytes are the NAL units, each with a 4-byte length prefix; audio
// bytes are the payload. All integers are big-endian.
const (
	frameListMagic   = "FSFL"
	frameListVersion = 1
	frameListHeader  = 4 + 1 + 4
	frameRecordSize  = 1 + 1 + 8 + 8 + 8 + 4
	// MaxFrameListFrames bounds a parsed slice: a 10 s slice at 60 fps
	// with audio is well under 2,000 frames.
	MaxFrameListFrames = 1 << 16
)

// FrameInfo is one frame read back from a frame-list body.
type FrameInfo struct {
	Audio   bool
	Key     bool
	Seq     uint64
	PTS     time.Duration
	Capture time.Time
	Size    int // media bytes including the video length prefixes
}

// AppendFrameList appends a frame-list body holding frames to dst.
func AppendFrameList(dst []byte, frames []*av.Frame) ([]byte, error) {
	return AppendFrameListOf(dst, av.Ptrs(frames))
}

// AppendFrameListOf is AppendFrameList of any frame List.
func AppendFrameListOf(dst []byte, frames av.List) ([]byte, error) {
	if frames.Len() > MaxFrameListFrames {
		return dst, fmt.Errorf("framelist: %d frames, max %d", frames.Len(), MaxFrameListFrames)
	}
	dst = append(dst, frameListMagic...)
	dst = append(dst, frameListVersion)
	dst = binary.BigEndian.AppendUint32(dst, uint32(frames.Len()))
	var scratch av.Frame
	for i := range frames.Len() {
		f := frames.At(i, &scratch)
		audio := !f.Codec.IsVideo()
		size := len(f.Payload)
		if !audio {
			size = 0
			for _, n := range f.NALUs {
				size += 4 + len(n)
			}
		}
		dst = append(dst, b2u(audio), b2u(f.Key))
		dst = binary.BigEndian.AppendUint64(dst, f.Seq)
		dst = binary.BigEndian.AppendUint64(dst, uint64(f.PTS))
		dst = binary.BigEndian.AppendUint64(dst, uint64(f.Capture.UnixNano()))
		dst = binary.BigEndian.AppendUint32(dst, uint32(size))
		if audio {
			dst = append(dst, f.Payload...)
			continue
		}
		for _, n := range f.NALUs {
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(n)))
			dst = append(dst, n...)
		}
	}
	return dst, nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// Errors of ParseFrameList.
var (
	ErrFrameListMagic     = errors.New("framelist: bad magic or version")
	ErrFrameListTruncated = errors.New("framelist: truncated")
	ErrFrameListTooMany   = errors.New("framelist: too many frames")
	ErrFrameListTrailing  = errors.New("framelist: trailing bytes")
)

// ParseFrameList reads the records of a frame-list body, appending to dst.
// It never allocates more than one FrameInfo per record actually present in
// body and at most MaxFrameListFrames of them.
func ParseFrameList(dst []FrameInfo, body []byte) ([]FrameInfo, error) {
	if len(body) < frameListHeader || string(body[:4]) != frameListMagic || body[4] != frameListVersion {
		return dst, ErrFrameListMagic
	}
	n := binary.BigEndian.Uint32(body[5:9])
	if n > MaxFrameListFrames {
		return dst, ErrFrameListTooMany
	}
	p := body[frameListHeader:]
	for i := uint32(0); i < n; i++ {
		if len(p) < frameRecordSize {
			return dst, fmt.Errorf("%w: record %d of %d", ErrFrameListTruncated, i, n)
		}
		if p[0] > 1 || p[1] > 1 {
			return dst, fmt.Errorf("framelist: record %d: bad flags %d/%d", i, p[0], p[1])
		}
		fi := FrameInfo{
			Audio:   p[0] == 1,
			Key:     p[1] == 1,
			Seq:     binary.BigEndian.Uint64(p[2:10]),
			PTS:     time.Duration(binary.BigEndian.Uint64(p[10:18])),
			Capture: time.Unix(0, int64(binary.BigEndian.Uint64(p[18:26]))).UTC(),
			Size:    int(binary.BigEndian.Uint32(p[26:30])),
		}
		p = p[frameRecordSize:]
		if fi.Size > len(p) {
			return dst, fmt.Errorf("%w: record %d wants %d bytes, %d left", ErrFrameListTruncated, i, fi.Size, len(p))
		}
		p = p[fi.Size:]
		dst = append(dst, fi)
	}
	if len(p) != 0 {
		return dst, fmt.Errorf("%w: %d", ErrFrameListTrailing, len(p))
	}
	return dst, nil
}
