package mpegts

import (
	"fmt"
	"io"

	"github.com/fleetsim/fleetsim/media/av"
)

// Slice is the TS of a list of frames, muxed on demand: every Open returns a
// reader of exactly the bytes AppendFrame would have appended for the
// frames (continuity counters included) at the time of the Cut, as often as
// needed (an upload, its retries, a dump). It holds the frame list (shared,
// immutable frames, or a compact av.Packed) and never the muxed bytes. Safe
// for concurrent use.
type Slice struct {
	m      *Muxer // configuration and tables only, never its counters
	cc     counters
	frames av.List
	size   int
}

// stackUnits is the room for the NAL units of a frame of an av.Packed read
// onto the stack (a frame with more grows the list on the heap).
const stackUnits = 32

// Cut returns frames as a Slice and advances m's continuity counters past
// it, as appending the frames with AppendFrame would. On an error (a frame
// AppendFrame refuses) it returns no Slice and m's counters have advanced
// past the frames before that one, as with AppendFrame. The Slice keeps
// frames (the slice header, not a copy): the caller must not change it.
func (m *Muxer) Cut(frames []*av.Frame) (*Slice, error) { return m.CutList(av.Ptrs(frames)) }

// CutList is Cut of any frame List; the Slice keeps frames, which must not
// change (an av.Packed may not be appended to after the cut).
func (m *Muxer) CutList(frames av.List) (*Slice, error) {
	s := &Slice{m: m, cc: m.cc, frames: frames}
	// An av.Packed's frames are read onto the stack (no allocation, no
	// write barrier); another compact List's into a scratch frame for this
	// cut only (a Muxer that kept it would keep the last frame's units,
	// and so the slice's, alive).
	packed, _ := frames.(*av.Packed)
	var scratch *av.Frame
	if _, ok := frames.(av.Ptrs); !ok && packed == nil {
		scratch = new(av.Frame)
	}
	var units [stackUnits][]byte
	var head av.Frame
	for i := range frames.Len() {
		var f *av.Frame
		var n int
		var err error
		if packed != nil {
			packed.ReadHead(i, &head)
			nalus, payload := packed.AppendUnits(units[:0], i)
			f = &head
			n, err = m.frameSizeOf(&m.pes, f, nalus, payload)
		} else {
			f = frames.At(i, scratch)
			n, err = m.frameSize(&m.pes, f)
		}
		if err != nil {
			return nil, err
		}
		s.size += n
		if f.Codec.IsVideo() && f.Key {
			m.cc.pat = (m.cc.pat + 1) & 0x0F
			m.cc.pmt = (m.cc.pmt + 1) & 0x0F
		}
		c := m.pes.cc(&m.cc)
		*c = (*c + uint8(m.pes.packets())) & 0x0F
	}
	return s, nil
}

// Size is the length of the Slice's TS in bytes.
func (s *Slice) Size() int64 { return int64(s.size) }

// Frames is the frame list of the Slice (for a compact List, copies of
// its frames: see av.Frames).
func (s *Slice) Frames() []*av.Frame { return av.Frames(s.frames) }

// Open returns a new reader of the Slice's bytes from the start.
func (s *Slice) Open() io.Reader { return s.NewReader() }

// NewReader is Open with the concrete type.
func (s *Slice) NewReader() *SliceReader {
	r := &SliceReader{s: s, cc: s.cc}
	r.pes.chunks = r.chunks[:0]
	r.frame.NALUs = r.nalus[:0]
	return r
}

// SliceReader muxes a Slice as it is read. Its state is the position in
// the frame list, the PES being cut into packets and at most one packet
// of carry-over for reads shorter than a packet: never the slice. Not safe
// for concurrent use.
type SliceReader struct {
	s      *Slice
	cc     counters
	next   int  // index of the next frame to set up
	tables int  // table packets still to write before the PES (0..2)
	inPES  bool // pes has packets left
	pes    pesWriter
	chunks [32][]byte // pes.chunks: start codes and NAL units of an access unit
	frame  av.Frame   // scratch for a compact List's frame
	nalus  [16][]byte // frame.NALUs
	carry  [PacketSize]byte
	carryN int // unread bytes at the end of carry
	err    error
}

// Read implements io.Reader: it writes whole packets straight into p, and
// goes through one packet of carry-over only when p has less room than a
// packet.
func (r *SliceReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n := 0
	if r.carryN > 0 {
		k := copy(p, r.carry[PacketSize-r.carryN:])
		r.carryN -= k
		n += k
		p = p[k:]
	}
	for len(p) >= PacketSize {
		if !r.packet(p[:PacketSize]) {
			break
		}
		n += PacketSize
		p = p[PacketSize:]
	}
	if n == 0 && len(p) > 0 && r.packet(r.carry[:]) {
		k := copy(p, r.carry[:])
		r.carryN = PacketSize - k
		n += k
	}
	if n == 0 && len(p) > 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo implements io.WriterTo: it writes the rest of the Slice in
// packet batches through a stack buffer.
func (r *SliceReader) WriteTo(w io.Writer) (int64, error) {
	// net/http copies a request body to io.Discard after its
	// Content-Length, to find extra bytes: at the end there is none to
	// look for, and no buffer (which escapes) to allocate.
	if r.err != nil {
		return 0, r.err
	}
	if r.carryN == 0 && !r.inPES && r.tables == 0 && r.next == r.s.frames.Len() {
		return 0, nil
	}
	var buf [32 * PacketSize]byte
	var total int64
	for {
		n, err := r.Read(buf[:])
		if n > 0 {
			k, werr := w.Write(buf[:n])
			total += int64(k)
			if werr != nil {
				return total, werr
			}
			if k < n {
				return total, io.ErrShortWrite
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// packet writes the next packet of the Slice into p (PacketSize bytes) and
// reports false at the end, or on an error (in r.err).
func (r *SliceReader) packet(p []byte) bool {
	for !r.inPES && r.tables == 0 {
		if r.next == r.s.frames.Len() {
			return false
		}
		var f *av.Frame
		var nalus [][]byte
		var payload []byte
		var units [stackUnits][]byte // an av.Packed's frame: on the stack
		var head av.Frame
		if p, ok := r.s.frames.(*av.Packed); ok {
			p.ReadHead(r.next, &head)
			nalus, payload = p.AppendUnits(units[:0], r.next)
			f = &head
		} else {
			f = r.s.frames.At(r.next, &r.frame)
			nalus, payload = f.NALUs, f.Payload
		}
		r.next++
		var err error
		if f.Codec.IsVideo() {
			err = r.s.m.videoPESOf(&r.pes, f, nalus, true)
			if f.Key {
				r.tables = 2
			}
		} else {
			err = r.s.m.audioPESOf(&r.pes, f, payload, true)
		}
		if err != nil { // Cut accepted every frame: only a changed frame gets here
			r.err = fmt.Errorf("mpegts: frame %d of a cut slice changed: %w", r.next-1, err)
			return false
		}
		r.inPES = true
	}
	switch r.tables {
	case 2:
		appendSectionPacket(p[:0], PIDPAT, r.cc.pat, r.s.m.pat)
		r.cc.pat = (r.cc.pat + 1) & 0x0F
		r.tables--
		return true
	case 1:
		appendSectionPacket(p[:0], PIDPMT, r.cc.pmt, r.s.m.pmt)
		r.cc.pmt = (r.cc.pmt + 1) & 0x0F
		r.tables--
		return true
	}
	r.pes.put(p, r.pes.cc(&r.cc))
	r.inPES = !r.pes.done()
	return true
}
