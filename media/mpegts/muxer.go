package mpegts

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
)

// PCRDelay is how far the PCR runs behind the DTS of the access unit it is
// sent with: the decoder's buffering headroom.
const PCRDelay = 100 * time.Millisecond

// MaxPESPayload bounds one access unit the Muxer writes (and the Verifier
// reads by default): 8 MiB.
const MaxPESPayload = 8 << 20

// Muxer writes the frames of one camera channel as TS packets. It keeps the
// continuity counters across calls; a slice is whatever the caller appends
// between two cuts (the Muxer writes PAT and PMT before every key frame, so
// a slice that starts at an IDR is self-contained). Not safe for concurrent
// use.
type Muxer struct {
	cfg       Config
	pat       []byte
	pmt       []byte
	ccPAT     uint8
	ccPMT     uint8
	ccVideo   uint8
	ccAudio   uint8
	chunks    [][]byte // the pieces of the PES being written, reused
	hdr       [32]byte // PES header (+ ADTS header) scratch
	aud       []byte
	rateIndex int
	// startCode precedes every NAL unit the Muxer writes (the 4-byte form
	// is valid everywhere in an access unit).
	startCode [4]byte
}

// NewMuxer returns a Muxer for cfg.
func NewMuxer(cfg Config) (*Muxer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Muxer{cfg: cfg, chunks: make([][]byte, 0, 16), startCode: [4]byte{0, 0, 0, 1}}
	streams := []esInfo{{videoStreamType(cfg.Video), PIDVideo}}
	if cfg.AAC != nil {
		streams = append(streams, esInfo{StreamTypeAAC, PIDAudio})
		m.rateIndex, _ = aac.SampleRateIndex(cfg.AAC.SampleRate)
	}
	m.pat = patSection()
	m.pmt = pmtSection(PIDVideo, streams)
	m.aud = audNALU(cfg.Video)
	return m, nil
}

func videoStreamType(c av.Codec) uint8 {
	if c == av.H265 {
		return StreamTypeH265
	}
	return StreamTypeH264
}

// AppendTables appends one PAT and one PMT packet.
func (m *Muxer) AppendTables(dst []byte) []byte {
	dst = appendSectionPacket(dst, PIDPAT, m.ccPAT, m.pat)
	m.ccPAT = (m.ccPAT + 1) & 0x0F
	dst = appendSectionPacket(dst, PIDPMT, m.ccPMT, m.pmt)
	m.ccPMT = (m.ccPMT + 1) & 0x0F
	return dst
}

// AppendFrame appends f (video or audio) as one PES; see AppendVideo and
// AppendAudio.
func (m *Muxer) AppendFrame(dst []byte, f *av.Frame) ([]byte, error) {
	if f.Codec.IsVideo() {
		return m.AppendVideo(dst, f)
	}
	return m.AppendAudio(dst, f)
}

// AppendVideo appends one video access unit: PAT and PMT first when f is a
// key frame, then one PES (PTS, and DTS when it differs) whose first packet
// carries the PCR and, for key frames, the random access indicator. The
// payload is Annex-B with an access unit delimiter first. On error dst is
// returned unchanged.
func (m *Muxer) AppendVideo(dst []byte, f *av.Frame) ([]byte, error) {
	if f.Codec != m.cfg.Video {
		return dst, fmt.Errorf("mpegts: video frame codec %v, muxer configured for %v", f.Codec, m.cfg.Video)
	}
	if len(f.NALUs) == 0 {
		return dst, fmt.Errorf("mpegts: video frame %d has no NAL units", f.Seq)
	}
	m.chunks = m.chunks[:0]
	size := 0
	if !isAUD(m.cfg.Video, f.NALUs[0]) {
		m.chunks = append(m.chunks, m.startCode[:], m.aud)
		size += len(m.startCode) + len(m.aud)
	}
	for _, u := range f.NALUs {
		m.chunks = append(m.chunks, m.startCode[:], u)
		size += len(m.startCode) + len(u)
	}
	if size > MaxPESPayload {
		return dst, fmt.Errorf("mpegts: video access unit of %d bytes exceeds %d", size, MaxPESPayload)
	}
	pts, dts := ticks90k(f.PTS), ticks90k(f.DTS)
	hdr := appendPESHeader(m.hdr[:0], streamIDVideo, size, pts, dts, f.PTS != f.DTS)
	if f.Key {
		dst = m.AppendTables(dst)
	}
	pcr := uint64(0)
	if d := f.DTS - PCRDelay; d > 0 {
		pcr = ticks90k(d)
	}
	dst = m.packetize(dst, PIDVideo, &m.ccVideo, hdr, size, true, pcr, f.Key)
	return dst, nil
}

// AppendAudio appends one AAC access unit as a PES with an ADTS header.
func (m *Muxer) AppendAudio(dst []byte, f *av.Frame) ([]byte, error) {
	if m.cfg.AAC == nil || f.Codec != av.AAC {
		return dst, fmt.Errorf("mpegts: audio frame codec %v, muxer configured for AAC: %v", f.Codec, m.cfg.AAC != nil)
	}
	if len(f.Payload) == 0 || len(f.Payload) > maxADTSPayload {
		return dst, fmt.Errorf("mpegts: AAC frame %d of %d bytes (1..%d)", f.Seq, len(f.Payload), maxADTSPayload)
	}
	pts := ticks90k(f.PTS)
	size := adtsHeaderSize + len(f.Payload)
	hdr := appendPESHeader(m.hdr[:0], streamIDAudio, size, pts, pts, false)
	hdr = m.appendADTS(hdr, len(f.Payload))
	m.chunks = append(m.chunks[:0], f.Payload)
	return m.packetize(dst, PIDAudio, &m.ccAudio, hdr, len(f.Payload), false, 0, false), nil
}

// ticks90k converts a media time to the 33-bit 90 kHz clock, rounded to the
// nearest tick (frame times like 1/15 s are not whole nanoseconds), wrapping
// every 26.5 hours like the format.
func ticks90k(d time.Duration) uint64 {
	if d < 0 {
		d = 0
	}
	return (uint64(d.Nanoseconds())*9 + 50000) / 100000 & tsMask // rounded
}

// packetize appends the PES made of hdr followed by m.chunks (esSize bytes)
// as TS packets on pid. The first packet carries an adaptation field with
// the PCR (withPCR) and the random access indicator (rai); the last one is
// padded with adaptation-field stuffing.
func (m *Muxer) packetize(dst []byte, pid uint16, cc *uint8, hdr []byte, esSize int, withPCR bool, pcr uint64, rai bool) []byte {
	remaining := len(hdr) + esSize
	first := true
	ci, off := 0, 0 // position in m.chunks
	hi := 0         // position in hdr
	// Reserve the packets at once.
	firstAF := 0
	if withPCR {
		firstAF = 8
	} else if rai {
		firstAF = 2
	}
	n := 1
	if remaining > payloadSize-firstAF {
		n += (remaining - (payloadSize - firstAF) + payloadSize - 1) / payloadSize
	}
	if cap(dst)-len(dst) < n*PacketSize {
		nb := make([]byte, len(dst), 2*cap(dst)+n*PacketSize)
		copy(nb, dst)
		dst = nb
	}
	for remaining > 0 {
		base := len(dst)
		dst = dst[:base+PacketSize]
		p := dst[base:]
		p[0] = SyncByte
		p[1] = byte(pid >> 8)
		if first {
			p[1] |= 0x40
		}
		p[2] = byte(pid)
		af := 0 // adaptation field bytes, including its length byte
		if first {
			af = firstAF
		}
		if room := payloadSize - af; remaining < room {
			af += room - remaining
		}
		w := 4
		if af > 0 {
			p[3] = 0x30 | *cc
			p[4] = byte(af - 1)
			w = 5
			if af > 1 {
				var fl byte
				if first && rai {
					fl |= 0x40
				}
				if first && withPCR {
					fl |= 0x10
				}
				p[5] = fl
				w = 6
				if first && withPCR {
					p[6] = byte(pcr >> 25)
					p[7] = byte(pcr >> 17)
					p[8] = byte(pcr >> 9)
					p[9] = byte(pcr >> 1)
					p[10] = byte(pcr<<7) | 0x7E // 6 reserved bits, extension 0
					p[11] = 0
					w = 12
				}
				w += copy(p[w:4+af], stuffing)
			}
		} else {
			p[3] = 0x10 | *cc
		}
		*cc = (*cc + 1) & 0x0F
		first = false
		// Payload: header bytes, then chunks.
		for w < PacketSize {
			if hi < len(hdr) {
				k := copy(p[w:], hdr[hi:])
				hi += k
				w += k
				continue
			}
			k := copy(p[w:], m.chunks[ci][off:])
			w += k
			off += k
			if off == len(m.chunks[ci]) {
				ci, off = ci+1, 0
			}
		}
		remaining -= PacketSize - 4 - af
	}
	return dst
}

// stuffing is adaptation-field stuffing: up to a whole packet of 0xFF.
const stuffing = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff"
