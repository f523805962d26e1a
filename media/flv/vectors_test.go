package flv

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// tagVector is one FLV tag body: how it is built (encode), the exact bytes
// (hand-assembled from FLV v10.1 / Enhanced RTMP v1), and what parsing them
// yields (decode). The same table seeds FuzzTagBody.
type tagVector struct {
	name  string
	typ   TagType
	build func(dst []byte) ([]byte, error)
	hex   string
	video *VideoTag
	audio *AudioTag
}

// Small stand-in payloads; the tag layer does not look inside them.
var (
	vSPS     = []byte{0x67, 0x42, 0xc0, 0x1e}
	vPPS     = []byte{0x68, 0xce, 0x3c, 0x80}
	vIDR     = []byte{0x65, 0x88, 0x84, 0x00}
	vP       = []byte{0x41, 0x9a, 0x02}
	hVPS     = []byte{0x40, 0x01, 0x0c}
	hIDR     = []byte{0x26, 0x01, 0xaf}
	hTRAIL   = []byte{0x02, 0x01, 0xd0}
	avcC     = []byte{0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1e, 0x01, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80}
	hvcC     = []byte{0x01, 0x01, 0x60, 0x00, 0x00, 0x00}
	ascLC16k = []byte{0x14, 0x08} // AAC-LC, 16 kHz, mono
	aacAU    = []byte{0x21, 0x10, 0x05}
	g711     = []byte{0xd5, 0x55, 0x54}
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func videoFrame(codec av.Codec, key bool, ct time.Duration, nalus ...[]byte) *av.Frame {
	return &av.Frame{Codec: codec, Key: key, DTS: time.Second, PTS: time.Second + ct, NALUs: nalus}
}

var tagVectors = []tagVector{
	{
		name: "avc-sequence-header", typ: TagVideo,
		build: func(d []byte) ([]byte, error) { return AppendVideoSequenceHeader(d, av.H264, HEVCLegacy, avcC) },
		hex:   "17 00 000000 0142c01effe10004 6742c01e 01 0004 68ce3c80",
		video: &VideoTag{Codec: av.H264, FrameType: 1, Key: true, Packet: PacketSequenceHeader, Config: avcC},
	},
	{
		name: "avc-key-frame-ct66", typ: TagVideo,
		build: func(d []byte) ([]byte, error) {
			return AppendVideoTagBody(d, videoFrame(av.H264, true, 66*time.Millisecond, vSPS, vPPS, vIDR), HEVCLegacy)
		},
		hex:   "17 01 000042 00000004 6742c01e 00000004 68ce3c80 00000004 65888400",
		video: &VideoTag{Codec: av.H264, FrameType: 1, Key: true, Packet: PacketFrame, CompositionTime: 66 * time.Millisecond, NALUs: [][]byte{vSPS, vPPS, vIDR}},
	},
	{
		name: "avc-inter-frame", typ: TagVideo,
		build: func(d []byte) ([]byte, error) {
			return AppendVideoTagBody(d, videoFrame(av.H264, false, 0, vP), HEVCLegacy)
		},
		hex:   "27 01 000000 00000003 419a02",
		video: &VideoTag{Codec: av.H264, FrameType: 2, Packet: PacketFrame, NALUs: [][]byte{vP}},
	},
	{
		name: "avc-sequence-end", typ: TagVideo,
		build: func(d []byte) ([]byte, error) { return AppendVideoSequenceEnd(d, av.H264, HEVCLegacy) },
		hex:   "17 02 000000",
		video: &VideoTag{Codec: av.H264, FrameType: 1, Key: true, Packet: PacketSequenceEnd},
	},
	{
		name: "hevc-legacy-sequence-header", typ: TagVideo,
		build: func(d []byte) ([]byte, error) { return AppendVideoSequenceHeader(d, av.H265, HEVCLegacy, hvcC) },
		hex:   "1c 00 000000 010160000000",
		video: &VideoTag{Codec: av.H265, FrameType: 1, Key: true, Packet: PacketSequenceHeader, Config: hvcC},
	},
	{
		name: "hevc-legacy-key-frame", typ: TagVideo,
		build: func(d []byte) ([]byte, error) {
			return AppendVideoTagBody(d, videoFrame(av.H265, true, 0, hVPS, hIDR), HEVCLegacy)
		},
		hex:   "1c 01 000000 00000003 40010c 00000003 2601af",
		video: &VideoTag{Codec: av.H265, FrameType: 1, Key: true, Packet: PacketFrame, NALUs: [][]byte{hVPS, hIDR}},
	},
	{
		name: "hevc-legacy-inter-negative-ct", typ: TagVideo,
		build: func(d []byte) ([]byte, error) {
			return AppendVideoTagBody(d, videoFrame(av.H265, false, -33*time.Millisecond, hTRAIL), HEVCLegacy)
		},
		hex:   "2c 01 ffffdf 00000003 0201d0",
		video: &VideoTag{Codec: av.H265, FrameType: 2, Packet: PacketFrame, CompositionTime: -33 * time.Millisecond, NALUs: [][]byte{hTRAIL}},
	},
	{
		name: "hevc-enhanced-sequence-start", typ: TagVideo,
		build: func(d []byte) ([]byte, error) { return AppendVideoSequenceHeader(d, av.H265, HEVCEnhanced, hvcC) },
		hex:   "90 68766331 010160000000",
		video: &VideoTag{Codec: av.H265, Enhanced: true, FrameType: 1, Key: true, Packet: PacketSequenceHeader, Config: hvcC},
	},
	{
		name: "hevc-enhanced-coded-frames-ct", typ: TagVideo,
		build: func(d []byte) ([]byte, error) {
			return AppendVideoTagBody(d, videoFrame(av.H265, true, 40*time.Millisecond, hVPS, hIDR), HEVCEnhanced)
		},
		hex:   "91 68766331 000028 00000003 40010c 00000003 2601af",
		video: &VideoTag{Codec: av.H265, Enhanced: true, FrameType: 1, Key: true, Packet: PacketFrame, CompositionTime: 40 * time.Millisecond, NALUs: [][]byte{hVPS, hIDR}},
	},
	{
		name: "hevc-enhanced-coded-frames-x", typ: TagVideo,
		build: func(d []byte) ([]byte, error) {
			return AppendVideoTagBody(d, videoFrame(av.H265, false, 0, hTRAIL), HEVCEnhanced)
		},
		hex:   "a3 68766331 00000003 0201d0",
		video: &VideoTag{Codec: av.H265, Enhanced: true, FrameType: 2, Packet: PacketFrame, NALUs: [][]byte{hTRAIL}},
	},
	{
		name: "hevc-enhanced-sequence-end", typ: TagVideo,
		build: func(d []byte) ([]byte, error) { return AppendVideoSequenceEnd(d, av.H265, HEVCEnhanced) },
		hex:   "92 68766331",
		video: &VideoTag{Codec: av.H265, Enhanced: true, FrameType: 1, Key: true, Packet: PacketSequenceEnd},
	},
	{
		name: "aac-sequence-header", typ: TagAudio,
		build: func(d []byte) ([]byte, error) { return AppendAACSequenceHeader(d, ascLC16k), nil },
		hex:   "af 00 1408",
		audio: &AudioTag{Codec: av.AAC, SoundFormat: 10, SoundRate: 3, SoundSize: 1, SoundType: 1, Packet: PacketSequenceHeader, Config: ascLC16k},
	},
	{
		name: "aac-raw", typ: TagAudio,
		build: func(d []byte) ([]byte, error) {
			return AppendAudioTagBody(d, &av.Frame{Codec: av.AAC, Payload: aacAU})
		},
		hex:   "af 01 211005",
		audio: &AudioTag{Codec: av.AAC, SoundFormat: 10, SoundRate: 3, SoundSize: 1, SoundType: 1, Packet: PacketFrame, Payload: aacAU},
	},
	{
		name: "g711-alaw", typ: TagAudio,
		build: func(d []byte) ([]byte, error) {
			return AppendAudioTagBody(d, &av.Frame{Codec: av.PCMA, Payload: g711})
		},
		hex:   "72 d55554",
		audio: &AudioTag{Codec: av.PCMA, SoundFormat: 7, SoundSize: 1, Packet: PacketFrame, Payload: g711},
	},
	{
		name: "g711-ulaw", typ: TagAudio,
		build: func(d []byte) ([]byte, error) {
			return AppendAudioTagBody(d, &av.Frame{Codec: av.PCMU, Payload: g711})
		},
		hex:   "82 d55554",
		audio: &AudioTag{Codec: av.PCMU, SoundFormat: 8, SoundSize: 1, Packet: PacketFrame, Payload: g711},
	},
}

// badTagVectors must fail to parse with the given error class.
var badTagVectors = []struct {
	name string
	typ  TagType
	hex  string
	want error
}{
	{"video-empty", TagVideo, "", ErrTruncated},
	{"video-short-header", TagVideo, "17 01 00", ErrTruncated},
	{"video-codec-vp6", TagVideo, "14 00", ErrUnsupported},
	{"video-bad-packet-type", TagVideo, "17 07 000000", ErrMalformed},
	{"video-nalu-overrun", TagVideo, "17 01 000000 00000010 65", ErrTruncated},
	{"video-nalu-short-prefix", TagVideo, "27 01 000000 0000", ErrTruncated},
	{"video-nalu-zero-length", TagVideo, "27 01 000000 00000000", ErrMalformed},
	{"video-enhanced-short", TagVideo, "91 6876", ErrTruncated},
	{"video-enhanced-av01", TagVideo, "90 61763031", ErrUnsupported},
	{"video-enhanced-no-ct", TagVideo, "91 68766331 00", ErrTruncated},
	{"audio-empty", TagAudio, "", ErrTruncated},
	{"audio-aac-no-packet-type", TagAudio, "af", ErrTruncated},
	{"audio-aac-bad-packet-type", TagAudio, "af 05", ErrMalformed},
	{"audio-mp3", TagAudio, "2f 00", ErrUnsupported},
}
