package mpegts

// programNumber is the one program of a slice.
const programNumber = 1

// appendSectionPacket appends one TS packet carrying a PSI section that
// fits in it (pointer field 0, section, CRC, 0xFF stuffing).
func appendSectionPacket(dst []byte, pid uint16, cc uint8, section []byte) []byte {
	start := len(dst)
	dst = append(dst, SyncByte, 0x40|byte(pid>>8), byte(pid), 0x10|cc&0x0F, 0)
	dst = append(dst, section...)
	c := crc32MPEG(section)
	dst = append(dst, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
	for len(dst)-start < PacketSize {
		dst = append(dst, 0xFF)
	}
	return dst
}

// patSection is the PAT without its CRC.
func patSection() []byte {
	const sectionLength = 5 + 4 + 4 // header after length, one program, CRC
	return []byte{
		0x00,                                               // table_id
		0xB0 | byte(sectionLength>>8), byte(sectionLength), // syntax 1, '0', reserved
		0x00, 0x01, // transport_stream_id
		0xC1,       // reserved, version 0, current_next 1
		0x00, 0x00, // section_number, last_section_number
		byte(programNumber >> 8), byte(programNumber),
		0xE0 | byte(PIDPMT>>8), byte(PIDPMT & 0xFF),
	}
}

// esInfo is one elementary stream of the PMT.
type esInfo struct {
	streamType uint8
	pid        uint16
}

// pmtSection is the PMT without its CRC.
func pmtSection(pcrPID uint16, streams []esInfo) []byte {
	sectionLength := 9 + 5*len(streams) + 4
	s := []byte{
		0x02,
		0xB0 | byte(sectionLength>>8), byte(sectionLength),
		byte(programNumber >> 8), byte(programNumber),
		0xC1,
		0x00, 0x00,
		0xE0 | byte(pcrPID>>8), byte(pcrPID),
		0xF0, 0x00, // program_info_length 0
	}
	for _, e := range streams {
		s = append(s, e.streamType, 0xE0|byte(e.pid>>8), byte(e.pid), 0xF0, 0x00)
	}
	return s
}
