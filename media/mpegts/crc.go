package mpegts

// crcTable is the MSB-first CRC-32 of ISO/IEC 13818-1 Annex A
// (polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no reflection, no final
// XOR); hash/crc32 only offers the reflected form.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc32MPEG(b []byte) uint32 {
	c := uint32(0xFFFFFFFF)
	for _, x := range b {
		c = c<<8 ^ crcTable[byte(c>>24)^x]
	}
	return c
}
