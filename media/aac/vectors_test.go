package aac

// adtsVectors is the one table of ADTS headers shared by the parse test,
// the build test and the fuzz seeds. The ffmpeg rows are the first headers
// of `ffmpeg -f lavfi -i sine=r=16000 -ac 1 -c:a aac -b:a 32k -f adts` and
// of the same at r=48000 -ac 2.
var adtsVectors = []struct {
	name   string
	header []byte
	want   ADTS
	build  bool // AppendADTS reproduces the header (VBR fullness, no CRC)
}{
	{"ffmpeg 16k mono", []byte{0xFF, 0xF1, 0x60, 0x40, 0x28, 0x7F, 0xFC},
		ADTS{Object: ObjectAACLC, RateIndex: 8, SampleRate: 16000, Channels: 1, FrameLength: 323, Fullness: 0x7FF, RawDataBlocks: 1}, true},
	{"ffmpeg 48k stereo", []byte{0xFF, 0xF1, 0x4C, 0x80, 0x24, 0xFF, 0xFC},
		ADTS{Object: ObjectAACLC, RateIndex: 3, SampleRate: 48000, Channels: 2, FrameLength: 295, Fullness: 0x7FF, RawDataBlocks: 1}, true},
	{"MPEG-2 with CRC, 44.1k stereo, CBR fullness", []byte{0xFF, 0xF8, 0x50, 0x80, 0x2E, 0x60, 0x40, 0x12, 0x34},
		ADTS{MPEG2: true, CRC: true, Object: ObjectAACLC, RateIndex: 4, SampleRate: 44100, Channels: 2, FrameLength: 371, Fullness: 16, RawDataBlocks: 1}, false},
	{"8k mono, 4 raw blocks", []byte{0xFF, 0xF1, 0x6C, 0x40, 0x10, 0x1F, 0xFF},
		ADTS{Object: ObjectAACLC, RateIndex: 11, SampleRate: 8000, Channels: 1, FrameLength: 128, Fullness: 0x7FF, RawDataBlocks: 4}, false},
}

// ascVectors is the one table of AudioSpecificConfigs shared by the parse
// and build tests and the fuzz seeds. "ffmpeg mp4" is the esds of
// `ffmpeg -f lavfi -i sine=r=44100 -ac 2 -c:a aac -f mp4` (with its
// trailing backward-compatible SBR sync extension, ignored).
var ascVectors = []struct {
	name  string
	asc   []byte
	want  Config
	build bool
}{
	{"ffmpeg mp4 44.1k stereo", []byte{0x12, 0x10, 0x56, 0xE5, 0x00}, Config{Object: ObjectAACLC, SampleRate: 44100, Channels: 2, FrameLength: 1024}, false},
	{"16k mono", []byte{0x14, 0x08}, Config{Object: ObjectAACLC, SampleRate: 16000, Channels: 1, FrameLength: 1024}, true},
	{"48k stereo", []byte{0x11, 0x90}, Config{Object: ObjectAACLC, SampleRate: 48000, Channels: 2, FrameLength: 1024}, true},
	{"8k mono 960", []byte{0x15, 0x8C}, Config{Object: ObjectAACLC, SampleRate: 8000, Channels: 1, FrameLength: 960}, true},
	{"HE-AAC explicit 24k→48k stereo", []byte{0x2B, 0x11, 0x88, 0x00}, Config{Object: ObjectAACLC, SampleRate: 24000, Channels: 2, FrameLength: 1024, Extension: ObjectSBR, ExtSampleRate: 48000}, true},
	{"escaped rate 22000 mono", []byte{0x17, 0x80, 0x2A, 0xF8, 0x08}, Config{Object: ObjectAACLC, SampleRate: 22000, Channels: 1, FrameLength: 1024}, true},
}
