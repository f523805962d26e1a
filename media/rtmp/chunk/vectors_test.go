package chunk

// chunkVector is a sequence of messages and the exact chunk bytes that carry
// them. One table drives the writer tests (encode must produce wire), the
// reader tests (decode must return msgs) and the fuzz seeds.
type chunkVector struct {
	name string
	// chunkSize is the chunk size both sides start with (0: 128). A Set
	// Chunk Size message in msgs changes it for what follows.
	chunkSize uint32
	msgs      []Message
	wire      []byte
	// decodeOnly marks wire forms our writer does not produce (interleaved
	// chunk streams, aborts, peers' header choices).
	decodeOnly bool
}

// Independent builders for the expected bytes (RTMP 1.0 §5.3.1).
func bh(format byte, csid uint32) []byte {
	switch {
	case csid < 64:
		return []byte{format<<6 | byte(csid)}
	case csid < 320:
		return []byte{format << 6, byte(csid - 64)}
	}
	return []byte{format<<6 | 1, byte((csid - 64) & 0xff), byte((csid - 64) >> 8)}
}

func u24(v uint32) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }
func u32be(v uint32) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
func u32le(v uint32) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}

func h0(csid, ts, length uint32, typ TypeID, sid uint32) []byte {
	return join(bh(0, csid), u24(ts), u24(length), []byte{byte(typ)}, u32le(sid))
}
func h1(csid, delta, length uint32, typ TypeID) []byte {
	return join(bh(1, csid), u24(delta), u24(length), []byte{byte(typ)})
}
func h2(csid, delta uint32) []byte { return join(bh(2, csid), u24(delta)) }
func h3(csid uint32) []byte        { return bh(3, csid) }

func join(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func pat(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

var (
	p300  = pat(300, 1)
	p10   = pat(10, 50)
	p10b  = pat(10, 90)
	p200  = pat(200, 3)
	p5000 = pat(5000, 9)
)

var chunkVectors = []chunkVector{
	{
		name: "fmt0 single chunk",
		msgs: []Message{{CSID: 3, Type: TypeCommandAMF0, StreamID: 0, Timestamp: 0, Payload: p10}},
		wire: join(h0(3, 0, 10, TypeCommandAMF0, 0), p10),
	},
	{
		name: "fmt0 split into 128-byte chunks",
		msgs: []Message{{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 40, Payload: p300}},
		wire: join(h0(6, 40, 300, TypeVideo, 1), p300[:128], h3(6), p300[128:256], h3(6), p300[256:]),
	},
	{
		name: "fmt1 on new length",
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 100, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 164, Payload: p10[:4]},
		},
		wire: join(h0(4, 100, 10, TypeAudio, 1), p10, h1(4, 64, 4, TypeAudio), p10[:4]),
	},
	{
		name: "fmt1 on new type",
		msgs: []Message{
			{CSID: 5, Type: TypeDataAMF0, StreamID: 1, Timestamp: 0, Payload: p10},
			{CSID: 5, Type: TypeCommandAMF0, StreamID: 1, Timestamp: 0, Payload: p10b},
		},
		wire: join(h0(5, 0, 10, TypeDataAMF0, 1), p10, h1(5, 0, 10, TypeCommandAMF0), p10b),
	},
	{
		name: "fmt2 then fmt3 for a steady stream",
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 1000, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 1064, Payload: p10b},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 1128, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 1192, Payload: p10b},
		},
		wire: join(h0(4, 1000, 10, TypeAudio, 1), p10, h2(4, 64), p10b, h3(4), p10, h3(4), p10b),
	},
	{
		name: "fmt0 again on new message stream",
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 10, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 2, Timestamp: 20, Payload: p10},
		},
		wire: join(h0(4, 10, 10, TypeAudio, 1), p10, h0(4, 20, 10, TypeAudio, 2), p10),
	},
	{
		name: "fmt0 again when time goes back",
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 500, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 400, Payload: p10},
		},
		wire: join(h0(4, 500, 10, TypeAudio, 1), p10, h0(4, 400, 10, TypeAudio, 1), p10),
	},
	{
		name: "extended timestamp on fmt0 and its fmt3 continuation chunks",
		msgs: []Message{{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 0x01000000, Payload: p300}},
		wire: join(h0(6, 0xFFFFFF, 300, TypeVideo, 1), u32be(0x01000000), p300[:128],
			h3(6), u32be(0x01000000), p300[128:256], h3(6), u32be(0x01000000), p300[256:]),
	},
	{
		name: "extended timestamp exactly 0xFFFFFF",
		msgs: []Message{{CSID: 3, Type: TypeCommandAMF0, Timestamp: 0xFFFFFF, Payload: p10}},
		wire: join(h0(3, 0xFFFFFF, 10, TypeCommandAMF0, 0), u32be(0xFFFFFF), p10),
	},
	{
		name: "extended delta on fmt2 and fmt3 new message",
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 0, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 0x01000000, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 0x02000000, Payload: p10},
		},
		wire: join(h0(4, 0, 10, TypeAudio, 1), p10,
			h2(4, 0xFFFFFF), u32be(0x01000000), p10,
			h3(4), u32be(0x01000000), p10),
	},
	{
		name: "timestamp wraps modulo 2^32",
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 0xFFFFFFF0, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 0x00000010, Payload: p10},
		},
		wire: join(h0(4, 0xFFFFFF, 10, TypeAudio, 1), u32be(0xFFFFFFF0), p10,
			h0(4, 0x10, 10, TypeAudio, 1), p10),
	},
	{
		name: "two-byte chunk stream id",
		msgs: []Message{{CSID: 64, Type: TypeAudio, StreamID: 1, Payload: p10}, {CSID: 319, Type: TypeAudio, StreamID: 1, Payload: p10b}},
		wire: join([]byte{0x00, 0}, u24(0), u24(10), []byte{8}, u32le(1), p10,
			[]byte{0x00, 255}, u24(0), u24(10), []byte{8}, u32le(1), p10b),
	},
	{
		name: "three-byte chunk stream id",
		msgs: []Message{{CSID: 320, Type: TypeVideo, StreamID: 1, Payload: p200}, {CSID: 65599, Type: TypeVideo, StreamID: 1, Payload: p10}},
		wire: join([]byte{0x01, 0x00, 0x01}, u24(0), u24(200), []byte{9}, u32le(1), p200[:128], []byte{0xc1, 0x00, 0x01}, p200[128:],
			[]byte{0x01, 0xff, 0xff}, u24(0), u24(10), []byte{9}, u32le(1), p10),
	},
	{
		name: "chunk size change to 4096 mid-stream",
		msgs: []Message{
			{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 0, Payload: p300},
			{CSID: 2, Type: TypeSetChunkSize, Payload: u32be(4096)},
			{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 33, Payload: p5000},
		},
		wire: join(h0(6, 0, 300, TypeVideo, 1), p300[:128], h3(6), p300[128:256], h3(6), p300[256:],
			h0(2, 0, 4, TypeSetChunkSize, 0), u32be(4096),
			h1(6, 33, 5000, TypeVideo), p5000[:4096], h3(6), p5000[4096:]),
	},
	{
		name: "chunk size 65536 and back to 1",
		msgs: []Message{
			{CSID: 2, Type: TypeSetChunkSize, Payload: u32be(65536)},
			{CSID: 6, Type: TypeVideo, StreamID: 1, Payload: p5000},
			{CSID: 2, Type: TypeSetChunkSize, Payload: u32be(1)},
			{CSID: 3, Type: TypeCommandAMF0, Payload: p10[:3]},
		},
		wire: join(h0(2, 0, 4, TypeSetChunkSize, 0), u32be(65536),
			h0(6, 0, 5000, TypeVideo, 1), p5000,
			h2(2, 0), u32be(1),
			h0(3, 0, 3, TypeCommandAMF0, 0), p10[:1], h3(3), p10[1:2], h3(3), p10[2:3]),
	},
	{
		name: "zero-length message",
		msgs: []Message{{CSID: 5, Type: TypeDataAMF0, StreamID: 1, Payload: []byte{}}},
		wire: h0(5, 0, 0, TypeDataAMF0, 1),
	},
	{
		name:       "interleaved chunk streams",
		decodeOnly: true,
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 20, Payload: p10},
			{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 0, Payload: p300},
		},
		wire: join(h0(6, 0, 300, TypeVideo, 1), p300[:128],
			h0(4, 20, 10, TypeAudio, 1), p10,
			h3(6), p300[128:256], h3(6), p300[256:]),
	},
	{
		name:       "abort drops the partial message",
		decodeOnly: true,
		msgs: []Message{
			{CSID: 2, Type: TypeAbort, Payload: u32be(6)},
			{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 40, Payload: p10},
		},
		wire: join(h0(6, 0, 300, TypeVideo, 1), p300[:128],
			h0(2, 0, 4, TypeAbort, 0), u32be(6),
			h1(6, 40, 10, TypeVideo), p10),
	},
	{
		name:       "fmt3 after fmt0 repeats the timestamp as delta (ffmpeg)",
		decodeOnly: true,
		msgs: []Message{
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 23, Payload: p10},
			{CSID: 4, Type: TypeAudio, StreamID: 1, Timestamp: 46, Payload: p10b},
		},
		wire: join(h0(4, 23, 10, TypeAudio, 1), p10, h3(4), p10b),
	},
	{
		name:       "extended timestamp omitted on continuation (old peers)",
		decodeOnly: true,
		msgs:       []Message{{CSID: 6, Type: TypeVideo, StreamID: 1, Timestamp: 0x01000000, Payload: p200}},
		wire:       join(h0(6, 0xFFFFFF, 200, TypeVideo, 1), u32be(0x01000000), p200[:128], h3(6), p200[128:]),
	},
}

func (v chunkVector) initialChunkSize() uint32 {
	if v.chunkSize == 0 {
		return DefaultChunkSize
	}
	return v.chunkSize
}
