package stamp

import (
	"testing"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
)

// BenchmarkProduceFrame is the per-frame, per-device work of the media
// source: write the stamp into a reused buffer and assemble the access unit
// from the synthesiser's shared NAL units (512 kbps, 15 fps, 640x360 P
// frame).
func BenchmarkProduceFrame(b *testing.B) {
	synth, err := h264.NewSynth(h264.SynthConfig{Width: 640, Height: 360, FPS: 15})
	if err != nil {
		b.Fatal(err)
	}
	stampBuf := make([]byte, 0, SizeH264)
	nalus := make([][]byte, 0, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sei := Append(stampBuf[:0], av.H264, Stamp{Device: 7, Seq: uint64(i), Capture: int64(i) * 66_666_667})
		nalus, _ = synth.AppendAccessUnit(nalus[:0], h264.Picture{Index: 1 + i%29}, 3282, sei)
	}
}

func BenchmarkReadAnnexB(b *testing.B) {
	synth, _ := h264.NewSynth(h264.SynthConfig{Width: 1920, Height: 1080, FPS: 25})
	sei := Append(nil, av.H264, vectors[1].s)
	nalus, _ := synth.AppendAccessUnit(nil, h264.Picture{}, 60000, sei)
	au := h264.AppendAnnexB(nil, nalus...)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := ReadAnnexB(av.H264, au); !ok {
			b.Fatal("no stamp")
		}
	}
}

func BenchmarkReadFLVVideo(b *testing.B) {
	synth, _ := h264.NewSynth(h264.SynthConfig{Width: 640, Height: 360, FPS: 15})
	sei := Append(nil, av.H264, vectors[1].s)
	nalus, _ := synth.AppendAccessUnit(nil, h264.Picture{Index: 3}, 3282, sei)
	body := []byte{0x27, 1, 0, 0, 0}
	body, _ = h264.AppendAVCC(body, 4, nalus...)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := ReadFLVVideo(body); !ok {
			b.Fatal("no stamp")
		}
	}
}
