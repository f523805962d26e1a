package mpegts

import (
	"errors"
	"fmt"
	"io"
)

// readPackets is how many packets VerifyReader reads at a time (32 KiB):
// large enough that a buffered reader under it (net/http's 4 KiB bufio)
// is bypassed and that an ingest reading with a low-water mark wakes once
// per 32 KiB of upload.
const readPackets = 174

// VerifyReader parses and checks a slice read from r to its end, with the
// same rules and result as Verify, without holding the slice: it keeps one
// 32 KiB read buffer in the Verifier (plus an audio PES, a video PES header
// and SEI NAL units: never a video access unit), so an
// ingest can verify an upload as it arrives instead of reading the whole
// body first. The slice may not exceed Limits.MaxSliceSize; reading stops
// at the first error. Info.Bytes counts the bytes read.
func (v *Verifier) VerifyReader(r io.Reader) (Info, error) {
	v.reset()
	if cap(v.rbuf) < readPackets*PacketSize {
		v.rbuf = make([]byte, readPackets*PacketSize)
	}
	buf := v.rbuf[:readPackets*PacketSize]
	have, pkt := 0, 0 // bytes in buf; packets parsed so far
	for {
		n, err := r.Read(buf[have:])
		have += n
		v.info.Bytes += n
		if v.info.Bytes > v.lim.MaxSliceSize {
			return v.info, fmt.Errorf("%w: slice of more than %d bytes", ErrTooLarge, v.lim.MaxSliceSize)
		}
		whole := have - have%PacketSize
		for off := 0; off < whole; off += PacketSize {
			if perr := v.packet(buf[off : off+PacketSize]); perr != nil {
				return v.info, fmt.Errorf("packet %d: %w", pkt, perr)
			}
			pkt++
		}
		have = copy(buf, buf[whole:have])
		switch {
		case errors.Is(err, io.EOF):
			if v.info.Bytes == 0 {
				return v.info, fmt.Errorf("%w: empty slice", ErrTruncated)
			}
			if have != 0 {
				return v.info, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte packets", ErrTruncated, v.info.Bytes, PacketSize)
			}
			return v.finish()
		case err != nil:
			return v.info, err
		}
	}
}
