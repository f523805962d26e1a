package fmp4

// Box writing: a box is appended with a zero size, its content appended,
// then the size patched in place — no intermediate buffers.

func appendU16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendU64(b []byte, v uint64) []byte {
	return appendU32(appendU32(b, uint32(v>>32)), uint32(v))
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func u16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

func u32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u64(b []byte) uint64 { return uint64(u32(b))<<32 | uint64(u32(b[4:])) }

// openBox appends a box header with a placeholder size and returns the
// offset to pass to closeBox.
func openBox(b []byte, typ string) ([]byte, int) {
	start := len(b)
	b = append(b, 0, 0, 0, 0, typ[0], typ[1], typ[2], typ[3])
	return b, start
}

// openFullBox appends a full box header (version and 24-bit flags).
func openFullBox(b []byte, typ string, version byte, flags uint32) ([]byte, int) {
	b, start := openBox(b, typ)
	return append(b, version, byte(flags>>16), byte(flags>>8), byte(flags)), start
}

func closeBox(b []byte, start int) []byte {
	putU32(b[start:], uint32(len(b)-start))
	return b
}

// unityMatrix is the identity transformation of mvhd and tkhd.
var unityMatrix = [36]byte{
	0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 0x00, 0x00,
}
