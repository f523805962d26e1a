package mpegts

// PacketSize is the size of one transport stream packet.
const PacketSize = 188

// SyncByte starts every packet.
const SyncByte = 0x47

// PIDs used by the Muxer.
const (
	PIDPAT   = 0x0000
	PIDPMT   = 0x1000
	PIDVideo = 0x0100
	PIDAudio = 0x0101
)

// Stream types of the PMT.
const (
	StreamTypeAAC  = 0x0F // ISO/IEC 13818-7 audio with ADTS transport syntax
	StreamTypeH264 = 0x1B
	StreamTypeH265 = 0x24
)

// PES stream ids.
const (
	streamIDVideo = 0xE0
	streamIDAudio = 0xC0
)

const payloadSize = PacketSize - 4

// clock90k is the 90 kHz timestamp unit of PES PTS/DTS and the PCR base.
const (
	tsMask   = 1<<33 - 1
	tsPeriod = 1 << 33
)
