package flv

import (
	"testing"

	"github.com/fleetsim/fleetsim/media/av"
)

// benchFrames are frames of the 512 kbit/s 15 fps sub-stream profile: a
// key frame (SPS, PPS, SEI, 32.8 kB IDR) and a 3.3 kB P frame.
func benchFrames(codec av.Codec) (key, inter *av.Frame) {
	idr := make([]byte, 32800)
	p := make([]byte, 3280)
	sei := make([]byte, 40)
	if codec == av.H265 {
		idr[0], p[0] = 0x26, 0x02
		return &av.Frame{Codec: codec, Key: true, NALUs: [][]byte{hVPS, vSPS, vPPS, sei, idr}},
			&av.Frame{Codec: codec, NALUs: [][]byte{sei, p}}
	}
	idr[0], p[0] = 0x65, 0x41
	return &av.Frame{Codec: codec, Key: true, NALUs: [][]byte{vSPS, vPPS, sei, idr}},
		&av.Frame{Codec: codec, NALUs: [][]byte{sei, p}}
}

// BenchmarkVideoTagBody builds one video tag body into a reused buffer,
// as the RTMP writer does per message.
func BenchmarkVideoTagBody(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec av.Codec
		mode  HEVCMode
		key   bool
	}{
		{"avc-inter", av.H264, HEVCLegacy, false},
		{"avc-key", av.H264, HEVCLegacy, true},
		{"hevc-legacy-inter", av.H265, HEVCLegacy, false},
		{"hevc-enhanced-inter", av.H265, HEVCEnhanced, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			key, inter := benchFrames(c.codec)
			f := inter
			if c.key {
				f = key
			}
			buf, err := AppendVideoTagBody(nil, f, c.mode)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = AppendVideoTagBody(buf[:0], f, c.mode)
			}
		})
	}
}

// BenchmarkVideoTagParse parses one P-frame tag body (the ingest side).
func BenchmarkVideoTagParse(b *testing.B) {
	_, inter := benchFrames(av.H264)
	body, err := AppendVideoTagBody(nil, inter, HEVCLegacy)
	if err != nil {
		b.Fatal(err)
	}
	var vt VideoTag
	b.ReportAllocs()
	for b.Loop() {
		if err := vt.Unmarshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAudioTagBody builds one AAC tag body.
func BenchmarkAudioTagBody(b *testing.B) {
	f := &av.Frame{Codec: av.AAC, Payload: make([]byte, 256)}
	buf, _ := AppendAudioTagBody(nil, f)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendAudioTagBody(buf[:0], f)
	}
}
