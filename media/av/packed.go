package av

import (
	"cmp"
	"slices"
	"sync"
	"time"
	"unsafe"
)

// Packed is an append-only List that stores frames compactly: what a
// recorder keeps of the frames of a slice until the slice's fate.
//
// A frame is a 24-byte record (no pointers, so the garbage collector never
// scans it) plus one 4-byte reference per NAL unit or payload. Records are
// kept in blocks of 64, so a Packed being filled holds about what it
// holds, never room for the frames still to come. A capture time is kept
// as its offset from the PTS, once per Packed while the offset stays the
// same (as it does for a stream from one origin); frames with another
// offset keep theirs aside.
//
// A unit found in the Packed's Dict (NewPacked) is a reference into it.
// Other units of up to SmallUnit bytes (a frame's own timestamp SEI,
// parameter sets) are copied into a byte arena, a length byte each. Larger ones are
// interned by identity (same backing array and length): a unit shared by
// many frames, as the synthesised slices, the filler units and a constant
// audio payload are, is held once per Packed, by reference and never
// copied; the caller's slices must not change.
//
// At gives a frame back with every field equal to the appended one,
// except that Capture is the same instant in UTC without a monotonic
// reading, an empty NALUs comes back as an empty slice, a small unit is an
// equal copy (a nil one an empty slice) and large units equal in backing
// array and length share their capacity. A Packed is not safe for
// concurrent Appends; once filled, At and the other readers may run
// concurrently.
type Packed struct {
	// What Append writes comes first, on two cache lines: in a fleet a
	// camera's Packed is cold when its next frame comes.
	dict   *Dict         // units shared beyond this Packed (nil: none)
	pool   *PackedPool   // where blocks come from and Release returns them (nil: none)
	cur    []packedFrame // the last block of records
	page   []uint32      // the last page of references
	ablk   []byte        // the last arena block
	n      int           // frames
	used   int           // references in the last page
	aused  int           // bytes of the last arena block
	pk, ak uint32        // indices of the last page and arena block
	copied int           // bytes copied into the arena

	blocks [][]packedFrame // the records, packedBlock per block
	pages  [][]uint32      // every frame's unit references, in order, a frame's in one page
	units  [][]byte        // distinct large units, by identity
	arena  [][]byte        // small units, arenaBlock bytes per block
	index  []uint32        // open-addressing table of units: index+1, 0 empty
	dts    []time.Duration // every frame's DTS, once one differs from its PTS
	// capture times: unix ns − PTS of the first frame with one, and the
	// frames whose offset differs, in frame order
	capOffset int64
	hasOffset bool
	capOwn    []ownCapture
}

type packedFrame struct {
	seq   uint64
	pts   time.Duration
	ref   uint32 // the frame's first unit reference: page<<pageBits | offset
	units uint16 // its references (ownPage: all of its page)
	codec Codec
	flags uint8
}

// ownPage in packedFrame.units: the frame's references are a whole page.
const ownPage = 0xFFFF

type ownCapture struct {
	frame   int
	capture int64 // unix ns
}

const (
	packedKey        uint8 = 1 << iota
	packedPayload          // the frame's last unit is its Payload
	packedCapture          // the frame has a capture time, capOffset after its PTS…
	packedCaptureOwn       // … or its own, in capOwn
)

// packedBlock is the number of records of a block (1.5 KiB).
const packedBlock = 64

// Unit references are kept in pages of pageRefs (1 KiB), a frame's in one
// page: a page is filled, never regrown.
const (
	pageBits = 8
	pageRefs = 1 << pageBits
)

// firstUnits is the room for distinct large units a Packed starts with: a
// camera's slice holds about a hundred (slices, fillers, audio payload),
// so it grows once.
const firstUnits = 64

// SmallUnit is the size up to which Packed copies a unit.
const SmallUnit = 64

const (
	arenaBits  = 10
	arenaBlock = 1 << arenaBits // bytes of an arena block
	refArena   = 1 << 31        // a reference into the arena: block<<arenaBits | offset
	refDict    = 1 << 30        // a reference into the Dict: its index
)

func (p *Packed) rec(i int) *packedFrame { return &p.blocks[i/packedBlock][i%packedBlock] }

// Copied is the number of bytes of small units copied into the arena,
// with their length bytes.
func (p *Packed) Copied() int { return p.copied }

// NewPacked returns an empty Packed whose frames' units are looked up in d
// first (nil: none; the zero Packed has none).
func NewPacked(d *Dict) *Packed { return &Packed{dict: d} }

// NewPackedFrom is NewPacked whose blocks of records, references and small
// units come from pool (nil: none) and go back to it on Release.
func NewPackedFrom(d *Dict, pool *PackedPool) *Packed { return &Packed{dict: d, pool: pool} }

// PackedPool recycles the fixed-size blocks of Packeds: their records,
// unit references and small-unit arena, all free of pointers. A fleet
// fills a Packed per camera and slice and drops it at the slice's fate, so
// without one these blocks are most of what it allocates. Safe for
// concurrent use.
type PackedPool struct {
	blocks, pages, arena sync.Pool // *[packedBlock]packedFrame, *[pageRefs]uint32, *[arenaBlock]byte
}

// NewPackedPool returns an empty pool.
func NewPackedPool() *PackedPool { return &PackedPool{} }

// Release empties p (Len 0) and returns its blocks to its pool, if it has
// one. Everything read from p before — At's small units among them —
// must no longer be in use: their bytes will be another Packed's. A
// Packed may be filled again after Release.
func (p *Packed) Release() {
	if pool := p.pool; pool != nil {
		for _, b := range p.blocks {
			pool.blocks.Put((*[packedBlock]packedFrame)(b))
		}
		for _, pg := range p.pages {
			if len(pg) == pageRefs { // a page of its own size is left to the collector
				pool.pages.Put((*[pageRefs]uint32)(pg))
			}
		}
		for _, a := range p.arena {
			pool.arena.Put((*[arenaBlock]byte)(a))
		}
	}
	*p = Packed{dict: p.dict, pool: p.pool}
}

// newBlock, newPage and newArena return a block of their kind, from the
// pool when there is one: its old contents are overwritten before they
// are read (records up to n, references as a frame is appended, arena
// bytes as a unit is copied).
func (p *Packed) newBlock() []packedFrame {
	if p.pool != nil {
		if b, ok := p.pool.blocks.Get().(*[packedBlock]packedFrame); ok {
			return b[:]
		}
	}
	return make([]packedFrame, packedBlock)
}

func (p *Packed) newPage(n int) []uint32 {
	if p.pool != nil && n <= pageRefs {
		if b, ok := p.pool.pages.Get().(*[pageRefs]uint32); ok {
			return b[:]
		}
	}
	return make([]uint32, max(n, pageRefs))
}

func (p *Packed) newArena() []byte {
	if p.pool != nil {
		if b, ok := p.pool.arena.Get().(*[arenaBlock]byte); ok {
			return b[:]
		}
	}
	return make([]byte, arenaBlock)
}

// Seal drops what only appending needs (the table that interns units):
// call it when the last frame is in. A later Append rebuilds the table.
func (p *Packed) Seal() { p.index = nil }

// Append stores f (its fields; its byte slices by reference).
func (p *Packed) Append(f *Frame) {
	r := packedFrame{seq: f.Seq, pts: f.PTS, codec: f.Codec}
	if f.Key {
		r.flags |= packedKey
	}
	if !f.Capture.IsZero() {
		c := f.Capture.UnixNano()
		if !p.hasOffset {
			p.hasOffset, p.capOffset = true, c-int64(f.PTS)
		}
		if c-int64(f.PTS) == p.capOffset { // wrapping arithmetic both ways
			r.flags |= packedCapture
		} else {
			r.flags |= packedCaptureOwn
			p.capOwn = append(p.capOwn, ownCapture{frame: p.n, capture: c})
		}
	}
	n := len(f.NALUs)
	if f.Payload != nil {
		r.flags |= packedPayload
		n++
	}
	// the frame's references go in the last page, or a new one (of its
	// own size when they are more than a page holds); pages are filled in
	// place (a cursor, no slice header written per frame)
	if n > 0 {
		if len(p.page)-p.used < n {
			p.page = p.newPage(n)
			p.pages = append(p.pages, p.page)
			p.pk, p.used = uint32(len(p.pages)-1), 0
		}
		page := p.page[p.used : p.used+n]
		r.ref, r.units = p.pk<<pageBits|uint32(p.used), uint16(min(n, ownPage))
		for j, u := range f.NALUs {
			page[j] = p.store(u)
		}
		if f.Payload != nil {
			page[n-1] = p.store(f.Payload)
		}
		p.used += n
	}
	if f.DTS != f.PTS && p.dts == nil {
		p.dts = make([]time.Duration, p.n, p.n+1)
		for i := range p.n {
			p.dts[i] = p.rec(i).pts
		}
	}
	if p.dts != nil {
		p.dts = append(p.dts, f.DTS)
	}
	if p.n%packedBlock == 0 {
		p.cur = p.newBlock()
		p.blocks = append(p.blocks, p.cur)
	}
	p.cur[p.n%packedBlock] = r
	p.n++
}

// Len implements List; a nil Packed is empty.
func (p *Packed) Len() int {
	if p == nil {
		return 0
	}
	return p.n
}

// Units is the number of units the frames reference (their NAL units and
// payloads), and distinct how many large ones Packed holds by reference; a
// nil Packed has none.
func (p *Packed) Units() (refs, distinct int) {
	if p == nil {
		return 0, 0
	}
	for i := range p.n {
		refs += len(p.unitRefs(i))
	}
	return refs, len(p.units)
}

// At implements List: frame i in scratch, whose NALUs backing array it
// reuses.
func (p *Packed) At(i int, scratch *Frame) *Frame {
	p.head(i, p.rec(i), scratch)
	scratch.NALUs, scratch.Payload = p.AppendUnits(scratch.NALUs[:0], i)
	return scratch
}

// AppendUnits appends frame i's NAL units to nalus and returns them with
// its payload: At's bytes without a Frame to fill, so that a caller's
// scratch frame and NAL unit array can live on its stack (At stores into
// the frame it is given, which makes them escape).
func (p *Packed) AppendUnits(nalus [][]byte, i int) ([][]byte, []byte) {
	refs := p.unitRefs(i)
	var payload []byte
	if p.rec(i).flags&packedPayload != 0 {
		payload = p.unit(refs[len(refs)-1])
		refs = refs[:len(refs)-1]
	}
	for _, u := range refs {
		nalus = append(nalus, p.unit(u))
	}
	return nalus, payload
}

// Head is frame i without its bytes: every field but NALUs and Payload.
func (p *Packed) Head(i int) Frame {
	var f Frame
	p.head(i, p.rec(i), &f)
	return f
}

// ReadHead is Head into f (NALUs and Payload untouched): no Frame is
// copied, and f does not escape, so a caller's frame can live on its stack.
func (p *Packed) ReadHead(i int, f *Frame) { p.head(i, p.rec(i), f) }

// head sets every field of f but NALUs and Payload from frame i, r.
func (p *Packed) head(i int, r *packedFrame, f *Frame) {
	f.Codec, f.Key, f.Seq, f.PTS, f.DTS = r.codec, r.flags&packedKey != 0, r.seq, r.pts, r.pts
	if p.dts != nil {
		f.DTS = p.dts[i]
	}
	switch {
	case r.flags&packedCapture != 0:
		f.Capture = time.Unix(0, p.capOffset+int64(r.pts)).UTC()
	case r.flags&packedCaptureOwn != 0:
		k, _ := slices.BinarySearchFunc(p.capOwn, i, func(o ownCapture, i int) int { return cmp.Compare(o.frame, i) })
		f.Capture = time.Unix(0, p.capOwn[k].capture).UTC()
	default:
		f.Capture = time.Time{}
	}
}

// Size is frame i's Frame.Size: its NAL unit or payload bytes.
func (p *Packed) Size(i int) int {
	n := 0
	for _, u := range p.unitRefs(i) {
		switch {
		case u&refArena != 0:
			n += int(p.arena[u&^refArena>>arenaBits][u&(arenaBlock-1)])
		case u&refDict != 0:
			n += len(p.dict.units[u&^refDict])
		default:
			n += len(p.units[u])
		}
	}
	return n
}

// unit is the unit a reference names.
func (p *Packed) unit(ref uint32) []byte {
	if ref&refArena == 0 {
		if ref&refDict != 0 {
			return p.dict.units[ref&^refDict]
		}
		return p.units[ref]
	}
	b := p.arena[ref&^refArena>>arenaBits]
	off := int(ref & (arenaBlock - 1))
	end := off + 1 + int(b[off])
	return b[off+1 : end : end]
}

// store returns the reference of u: a copy in the arena for a small unit,
// else its interned entry.
func (p *Packed) store(u []byte) uint32 {
	if p.dict != nil {
		if k, ok := p.dict.lookup(u); ok {
			return refDict | k
		}
	}
	if len(u) > SmallUnit {
		return p.intern(u)
	}
	if len(p.ablk)-p.aused < 1+len(u) {
		p.ablk = p.newArena()
		p.arena = append(p.arena, p.ablk)
		p.ak, p.aused = uint32(len(p.arena)-1), 0
	}
	off := p.aused
	p.ablk[off] = byte(len(u))
	copy(p.ablk[off+1:], u)
	p.aused += 1 + len(u)
	p.copied += 1 + len(u)
	return refArena | p.ak<<arenaBits | uint32(off)
}

// unitRefs are frame i's references into units.
func (p *Packed) unitRefs(i int) []uint32 {
	r := p.rec(i)
	if r.units == 0 {
		return nil
	}
	page := p.pages[r.ref>>pageBits]
	if r.units == ownPage {
		return page
	}
	off := int(r.ref & (pageRefs - 1))
	return page[off : off+int(r.units)]
}

// intern returns the index of u in units, adding it when no unit has its
// backing array and length.
func (p *Packed) intern(u []byte) uint32 {
	if 2*(len(p.units)+1) > len(p.index) {
		if p.units == nil {
			p.units = make([][]byte, 0, firstUnits)
		}
		p.rehash()
	}
	mask := uint32(len(p.index) - 1)
	data := unsafe.SliceData(u)
	for h := hashUnit(data, len(u)) & mask; ; h = (h + 1) & mask {
		e := p.index[h]
		if e == 0 {
			p.units = append(p.units, u)
			p.index[h] = uint32(len(p.units))
			return uint32(len(p.units) - 1)
		}
		if v := p.units[e-1]; len(v) == len(u) && unsafe.SliceData(v) == data {
			return e - 1
		}
	}
}

// rehash doubles the table (at least 64 slots) and re-enters the units.
func (p *Packed) rehash() {
	n := max(2*firstUnits, 2*len(p.index))
	p.index = make([]uint32, n)
	mask := uint32(n - 1)
	for i, u := range p.units {
		h := hashUnit(unsafe.SliceData(u), len(u)) & mask
		for p.index[h] != 0 {
			h = (h + 1) & mask
		}
		p.index[h] = uint32(i + 1)
	}
}

// hashUnit mixes a unit's address and length (Fibonacci hashing). Heap
// byte slices do not move, and Packed keeps every unit it has hashed.
func hashUnit(data *byte, n int) uint32 {
	x := uint64(uintptr(unsafe.Pointer(data))) ^ uint64(n)<<40
	x *= 0x9E3779B97F4A7C15
	return uint32(x >> 32)
}
