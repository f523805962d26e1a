package mpegts

import (
	"encoding/binary"
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
// a slice that starts at an IDR is self-contained). Cut returns a slice's
// bytes as a Slice, muxed on demand, instead of appending them. Not safe
// for concurrent use.
type Muxer struct {
	cfg       Config
	pat       []byte
	pmt       []byte
	aud       []byte
	rateIndex int
	cc        counters
	pes       pesWriter // the PES being written, reused
}

// counters are the continuity counters of the four PIDs.
type counters struct{ pat, pmt, video, audio uint8 }

// NewMuxer returns a Muxer for cfg.
func NewMuxer(cfg Config) (*Muxer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Muxer{cfg: cfg, pes: pesWriter{chunks: make([][]byte, 0, 16)}}
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
	return m.appendTables(dst, &m.cc)
}

func (m *Muxer) appendTables(dst []byte, cc *counters) []byte {
	dst = appendSectionPacket(dst, PIDPAT, cc.pat, m.pat)
	cc.pat = (cc.pat + 1) & 0x0F
	dst = appendSectionPacket(dst, PIDPMT, cc.pmt, m.pmt)
	cc.pmt = (cc.pmt + 1) & 0x0F
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
	if err := m.videoPES(&m.pes, f); err != nil {
		return dst, err
	}
	return m.appendPES(dst, f.Key), nil
}

// AppendAudio appends one AAC access unit as a PES with an ADTS header.
func (m *Muxer) AppendAudio(dst []byte, f *av.Frame) ([]byte, error) {
	if err := m.audioPES(&m.pes, f); err != nil {
		return dst, err
	}
	return m.appendPES(dst, false), nil
}

// appendPES appends the tables (when tables) and the packets of m.pes.
func (m *Muxer) appendPES(dst []byte, tables bool) []byte {
	n := m.pes.packets()
	if tables {
		n += 2
	}
	if cap(dst)-len(dst) < n*PacketSize {
		nb := make([]byte, len(dst), 2*cap(dst)+n*PacketSize)
		copy(nb, dst)
		dst = nb
	}
	if tables {
		dst = m.appendTables(dst, &m.cc)
	}
	for !m.pes.done() {
		base := len(dst)
		dst = dst[:base+PacketSize]
		m.pes.put(dst[base:], m.pes.cc(&m.cc))
	}
	return dst
}

// frameSize is the number of bytes AppendFrame appends for f, using w as
// scratch.
func (m *Muxer) frameSize(w *pesWriter, f *av.Frame) (int, error) {
	return m.frameSizeOf(w, f, f.NALUs, f.Payload)
}

// frameSizeOf is frameSize of the frame with f's fields but the bytes
// nalus and payload. It sets up w's sizes, not its chunks, so that neither
// f nor the array of nalus escapes: a cut of an av.Packed keeps them on its
// stack.
func (m *Muxer) frameSizeOf(w *pesWriter, f *av.Frame, nalus [][]byte, payload []byte) (int, error) {
	var err error
	if f.Codec.IsVideo() {
		err = m.videoPESOf(w, f, nalus, false)
	} else {
		err = m.audioPESOf(w, f, payload, false)
	}
	if err != nil {
		return 0, err
	}
	n := w.packets()
	if f.Codec.IsVideo() && f.Key {
		n += 2
	}
	return n * PacketSize, nil
}

// videoPES sets w up to write f as a video PES. It reads only the
// configuration of m, never its counters, so Slice readers may call it
// while m goes on.
func (m *Muxer) videoPES(w *pesWriter, f *av.Frame) error {
	return m.videoPESOf(w, f, f.NALUs, true)
}

// videoPESOf is videoPES of the frame with f's fields but the NAL units
// nalus; without fill it sets up the sizes and header only (packets), not
// the chunks.
func (m *Muxer) videoPESOf(w *pesWriter, f *av.Frame, nalus [][]byte, fill bool) error {
	if f.Codec != m.cfg.Video {
		return fmt.Errorf("mpegts: video frame codec %v, muxer configured for %v", f.Codec, m.cfg.Video)
	}
	if len(nalus) == 0 {
		return fmt.Errorf("mpegts: video frame %d has no NAL units", f.Seq)
	}
	w.chunks = w.chunks[:0]
	size := 0
	if !isAUD(m.cfg.Video, nalus[0]) {
		if fill {
			w.chunks = append(w.chunks, startCode4, m.aud)
		}
		size += len(startCode4) + len(m.aud)
	}
	for _, u := range nalus {
		if fill {
			w.chunks = append(w.chunks, startCode4, u)
		}
		size += len(startCode4) + len(u)
	}
	if size > MaxPESPayload {
		return fmt.Errorf("mpegts: video access unit of %d bytes exceeds %d", size, MaxPESPayload)
	}
	pts, dts := ticks90k(f.PTS), ticks90k(f.DTS)
	hdr := appendPESHeader(w.hdr[:0], streamIDVideo, size, pts, dts, f.PTS != f.DTS)
	pcr := uint64(0)
	if d := f.DTS - PCRDelay; d > 0 {
		pcr = ticks90k(d)
	}
	w.start(PIDVideo, len(hdr), size, true, pcr, f.Key)
	return nil
}

// audioPES sets w up to write f as an audio PES (ADTS header first).
func (m *Muxer) audioPES(w *pesWriter, f *av.Frame) error {
	return m.audioPESOf(w, f, f.Payload, true)
}

// audioPESOf is audioPES of the frame with f's fields but the payload
// payload; without fill it sets up the sizes and header only.
func (m *Muxer) audioPESOf(w *pesWriter, f *av.Frame, payload []byte, fill bool) error {
	if m.cfg.AAC == nil || f.Codec != av.AAC {
		return fmt.Errorf("mpegts: audio frame codec %v, muxer configured for AAC: %v", f.Codec, m.cfg.AAC != nil)
	}
	if len(payload) == 0 || len(payload) > maxADTSPayload {
		return fmt.Errorf("mpegts: AAC frame %d of %d bytes (1..%d)", f.Seq, len(payload), maxADTSPayload)
	}
	pts := ticks90k(f.PTS)
	size := adtsHeaderSize + len(payload)
	hdr := appendPESHeader(w.hdr[:0], streamIDAudio, size, pts, pts, false)
	hdr = m.appendADTS(hdr, len(payload))
	w.chunks = w.chunks[:0]
	if fill {
		w.chunks = append(w.chunks, payload)
	}
	w.start(PIDAudio, len(hdr), len(payload), false, 0, false)
	return nil
}

// startCode4 precedes every NAL unit the Muxer writes (the 4-byte form is
// valid everywhere in an access unit). Never modified.
var startCode4 = []byte{0, 0, 0, 1}

// ticks90k converts a media time to the 33-bit 90 kHz clock, rounded to the
// nearest tick (frame times like 1/15 s are not whole nanoseconds), wrapping
// every 26.5 hours like the format.
func ticks90k(d time.Duration) uint64 {
	if d < 0 {
		d = 0
	}
	return (uint64(d.Nanoseconds())*9 + 50000) / 100000 & tsMask // rounded
}

// pesWriter cuts one PES (a header in hdr, then chunks) into TS packets,
// one packet per put: the first carries an adaptation field with the PCR
// (withPCR) and the random access indicator (rai); the last one is padded
// with adaptation-field stuffing. It holds no more than the PES header:
// the chunks are the frame's own bytes.
type pesWriter struct {
	hdr       [32]byte // PES header (+ ADTS header)
	chunks    [][]byte
	pid       uint16
	hdrLen    int
	remaining int // header and payload bytes not yet written
	first     bool
	firstAF   int // adaptation field bytes of the first packet
	withPCR   bool
	rai       bool
	pcr       uint64
	ci, off   int // position in chunks
	hi        int // position in hdr
}

// start begins a PES of hdrLen header bytes (in w.hdr) and esSize bytes of
// chunks on pid.
func (w *pesWriter) start(pid uint16, hdrLen, esSize int, withPCR bool, pcr uint64, rai bool) {
	w.pid, w.hdrLen, w.remaining = pid, hdrLen, hdrLen+esSize
	w.first, w.withPCR, w.pcr, w.rai = true, withPCR, pcr, rai
	w.firstAF = 0
	if withPCR {
		w.firstAF = 8
	} else if rai {
		w.firstAF = 2
	}
	w.ci, w.off, w.hi = 0, 0, 0
}

// packets is the number of packets the PES takes.
func (w *pesWriter) packets() int {
	n := 1
	if w.remaining > payloadSize-w.firstAF {
		n += (w.remaining - (payloadSize - w.firstAF) + payloadSize - 1) / payloadSize
	}
	return n
}

func (w *pesWriter) done() bool { return w.remaining <= 0 }

// cc is the continuity counter of the PES's PID in c.
func (w *pesWriter) cc(c *counters) *uint8 {
	if w.pid == PIDAudio {
		return &c.audio
	}
	return &c.video
}

// put writes the next packet of the PES into p (PacketSize bytes).
func (w *pesWriter) put(p []byte, cc *uint8) {
	p = p[:PacketSize]
	// Most packets of a video PES are 184 bytes of one NAL unit after a
	// 4-byte header: one copy.
	if !w.first && w.hi == w.hdrLen && w.remaining >= payloadSize {
		if c := w.chunks[w.ci]; len(c)-w.off >= payloadSize {
			binary.BigEndian.PutUint32(p, uint32(SyncByte)<<24|uint32(w.pid)<<8|0x10|uint32(*cc))
			*cc = (*cc + 1) & 0x0F
			w.off += copy(p[4:], c[w.off:w.off+payloadSize])
			if w.off == len(c) {
				w.ci, w.off = w.ci+1, 0
			}
			w.remaining -= payloadSize
			return
		}
	}
	p[0] = SyncByte
	p[1] = byte(w.pid >> 8)
	if w.first {
		p[1] |= 0x40
	}
	p[2] = byte(w.pid)
	af := 0 // adaptation field bytes, including its length byte
	if w.first {
		af = w.firstAF
	}
	if room := payloadSize - af; w.remaining < room {
		af += room - w.remaining
	}
	n := 4
	if af > 0 {
		p[3] = 0x30 | *cc
		p[4] = byte(af - 1)
		n = 5
		if af > 1 {
			var fl byte
			if w.first && w.rai {
				fl |= 0x40
			}
			if w.first && w.withPCR {
				fl |= 0x10
			}
			p[5] = fl
			n = 6
			if w.first && w.withPCR {
				pcr := w.pcr
				p[6] = byte(pcr >> 25)
				p[7] = byte(pcr >> 17)
				p[8] = byte(pcr >> 9)
				p[9] = byte(pcr >> 1)
				p[10] = byte(pcr<<7) | 0x7E // 6 reserved bits, extension 0
				p[11] = 0
				n = 12
			}
			n += copy(p[n:4+af], stuffing)
		}
	} else {
		p[3] = 0x10 | *cc
	}
	*cc = (*cc + 1) & 0x0F
	w.first = false
	// Payload: header bytes, then chunks.
	for n < PacketSize {
		if w.hi < w.hdrLen {
			k := copy(p[n:], w.hdr[w.hi:w.hdrLen])
			w.hi += k
			n += k
			continue
		}
		k := copy(p[n:], w.chunks[w.ci][w.off:])
		n += k
		w.off += k
		if w.off == len(w.chunks[w.ci]) {
			w.ci, w.off = w.ci+1, 0
		}
	}
	w.remaining -= PacketSize - 4 - af
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
