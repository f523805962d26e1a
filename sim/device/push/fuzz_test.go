package push

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpora in testdata/fuzz")

// packetVector is SendPacket input (Annex-B video or ADTS audio) with the
// code the checks give it.
type packetVector struct {
	name string
	mt   MediaType
	data []byte
	want Event
}

// packetVectors are shared by TestPacketVectors and FuzzPacketChecks (as
// seeds, also written to testdata/fuzz/FuzzPacketChecks with -update).
func packetVectors(t tLike) []packetVector {
	sh := quickstart(t, av.H264)
	fs := frames(t, sh, 1, 1, 300*time.Millisecond)
	var idr, p, audio *av.Frame
	for _, f := range fs {
		switch {
		case f.Codec == av.H264 && f.Key && idr == nil:
			idr = f
		case f.Codec == av.H264 && !f.Key && p == nil:
			p = f
		case f.Codec == av.AAC && audio == nil:
			audio = f
		}
	}
	cfg, _ := aac.ParseConfig(sh.AudioConfig)
	adts, _ := aac.AppendADTSFrame(nil, cfg, audio.Payload)
	annexB := func(n ...[]byte) []byte { return h264.AppendAnnexB(nil, n...) }
	// an IDR cut to its first few NAL units keeps the vectors small
	small := annexB(idr.NALUs[0], idr.NALUs[1], idr.NALUs[3][:32])
	return []packetVector{
		{"idr", MediaH264, small, EventNone},
		{"p", MediaH264, annexB(p.NALUs[0], p.NALUs[1]), EventNone},
		{"no-start-code", MediaH264, small[4:], EventVideoDataError},
		{"idr-no-params", MediaH264, annexB(idr.NALUs[3][:32]), EventNoSPSPPS},
		{"bad-sps", MediaH264, annexB([]byte{0x67, 0xff}, idr.NALUs[1], idr.NALUs[3][:32]), EventBadSPS},
		{"bad-pps", MediaH264, annexB(idr.NALUs[0], []byte{0x68}, idr.NALUs[3][:32]), EventBadPPS},
		{"forbidden-bit", MediaH264, annexB([]byte{0x81, 0x00}), EventVideoDataError},
		{"adts", MediaAAC, adts, EventNone},
		{"raw-aac", MediaAAC, audio.Payload, EventADTSError},
		{"adts-truncated", MediaAAC, adts[:len(adts)-3], EventADTSError},
		{"h265-bad-vps", MediaH265, annexB([]byte{0x40, 0x01, 0xff}, []byte{0x42, 0x01, 0xff}, []byte{0x44, 0x01, 0xff}, []byte{0x26, 0x01, 0xaf, 0x80}), EventBadVPS},
		{"h265-no-vps", MediaH265, annexB([]byte{0x42, 0x01, 0xff}, []byte{0x44, 0x01, 0xff}, []byte{0x26, 0x01, 0xaf, 0x80}), EventNoSPSPPS},
	}
}

// checkPacket runs SendPacket's checks without a connection.
func checkPacket(mt MediaType, data []byte) Event {
	switch mt {
	case MediaH264, MediaH265:
		codec := av.H264
		if mt == MediaH265 {
			codec = av.H265
		}
		nalus, code, _ := fromAnnexB(nil, data)
		if code != EventNone {
			return code
		}
		var pc paramCache
		code, _, _ = pc.checkVideo(codec, nalus)
		return code
	case MediaAAC:
		payload, cfg, code, _ := fromADTS(data)
		if code != EventNone {
			return code
		}
		code, _ = checkAudio(av.AAC, &cfg, payload)
		return code
	}
	return EventInvalidParam
}

func TestPacketVectors(t *testing.T) {
	for _, v := range packetVectors(t) {
		if got := checkPacket(v.mt, v.data); got != v.want {
			t.Errorf("%s: %v, want %v", v.name, got, v.want)
		}
	}
	if *update {
		dir := filepath.Join("testdata", "fuzz", "FuzzPacketChecks")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, v := range packetVectors(t) {
			body := fmt.Sprintf("go test fuzz v1\nint(%d)\n[]byte(%q)\n", int(v.mt), v.data)
			if err := os.WriteFile(filepath.Join(dir, v.name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzPacketChecks: SendPacket's Annex-B and ADTS checks return a code for
// any input, never panic.
func FuzzPacketChecks(f *testing.F) {
	for _, v := range packetVectors(f) {
		f.Add(int(v.mt), v.data)
	}
	f.Fuzz(func(t *testing.T, mt int, data []byte) {
		code := checkPacket(MediaType(mt%5), data)
		if code != EventNone && code.String() == "" {
			t.Fatal("unnamed code")
		}
	})
}
