package mpegts

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/asticode/go-astits"
	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
)

// BenchmarkMuxSlice muxes one 10 s slice of the 512 kbit/s 15 fps GOP 30
// + 16 kHz AAC profile into a reused buffer.
func BenchmarkMuxSlice(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			frames := c.profile.Frames()
			m, err := NewMuxer(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			buf := muxAll(b, c.cfg, frames)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = buf[:0]
				for i := range frames {
					buf, _ = m.AppendFrame(buf, &frames[i])
				}
			}
		})
	}
}

// BenchmarkVerifySlice parses and verifies one such slice.
func BenchmarkVerifySlice(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			slice := muxAll(b, c.cfg, c.profile.Frames())
			v := NewVerifier(Limits{})
			b.SetBytes(int64(len(slice)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(slice); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyReaderSlice verifies the same slice as it is read, in
// 1448-byte pieces (one TCP segment each), without holding it.
func BenchmarkVerifyReaderSlice(b *testing.B) {
	c := sliceCases[0]
	slice := muxAll(b, c.cfg, c.profile.Frames())
	v := NewVerifier(Limits{})
	r := bytes.NewReader(slice)
	b.SetBytes(int64(len(slice)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(slice)
		if _, err := v.VerifyReader(segmentReader{r}); err != nil {
			b.Fatal(err)
		}
	}
}

// segmentReader returns at most one TCP segment per Read.
type segmentReader struct{ r *bytes.Reader }

func (s segmentReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 1448)]) }

// BenchmarkAstitsMuxSlice muxes the same slice with
// github.com/asticode/go-astits (tables before key frames, PCR on video,
// Annex-B with AUD and ADTS built into reused buffers), for comparison
// with BenchmarkMuxSlice.
func BenchmarkAstitsMuxSlice(b *testing.B) {
	c := sliceCases[0]
	frames := c.profile.Frames()
	var out bytes.Buffer
	var es []byte
	aud := []byte{0x09, 0xF0}
	idx, _ := aac.SampleRateIndex(aac16k.SampleRate)
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		m := astits.NewMuxer(context.Background(), &out)
		_ = m.AddElementaryStream(astits.PMTElementaryStream{ElementaryPID: PIDVideo, StreamType: astits.StreamTypeH264Video})
		_ = m.AddElementaryStream(astits.PMTElementaryStream{ElementaryPID: PIDAudio, StreamType: astits.StreamTypeAACAudio})
		m.SetPCRPID(PIDVideo)
		for i := range frames {
			f := &frames[i]
			pts := &astits.ClockReference{Base: int64(ticks90k(f.PTS))}
			d := &astits.MuxerData{PES: &astits.PESData{Header: &astits.PESHeader{
				OptionalHeader: &astits.PESOptionalHeader{MarkerBits: 2, PTSDTSIndicator: astits.PTSDTSIndicatorOnlyPTS, PTS: pts},
			}}}
			if f.Codec == av.H264 {
				if f.Key {
					_, _ = m.WriteTables()
				}
				es = h264.AppendAnnexB(es[:0], aud)
				es = h264.AppendAnnexB(es, f.NALUs...)
				d.PID = PIDVideo
				d.PES.Header.StreamID = streamIDVideo
				d.AdaptationField = &astits.PacketAdaptationField{HasPCR: true, PCR: pts, RandomAccessIndicator: f.Key}
			} else {
				es, _ = aac.AppendADTS(es[:0], aac16k.Object, idx, aac16k.Channels, len(f.Payload))
				es = append(es, f.Payload...)
				d.PID = PIDAudio
				d.PES.Header.StreamID = streamIDAudio
			}
			d.PES.Data = es
			if _, err := m.WriteData(d); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(int64(out.Len()))
}

// BenchmarkSliceSize computes the exact TS size of one 10 s slice without
// writing it (what the camera needs at the cut).
func BenchmarkSliceSize(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			frames := framePtrs(c.profile.Frames())
			m, err := NewMuxer(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.SliceSize(frames); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSliceReader streams one 10 s slice muxed on demand into a
// reused 32 KiB buffer (what an upload does), for comparison with
// BenchmarkMuxSlice, which holds the whole slice.
func BenchmarkSliceReader(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			frames := framePtrs(c.profile.Frames())
			m, err := NewMuxer(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			s, err := m.Cut(frames)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 32<<10)
			b.SetBytes(s.Size())
			b.ReportAllocs()
			for b.Loop() {
				r := s.NewReader()
				for {
					if _, err := r.Read(buf); err == io.EOF {
						break
					}
				}
			}
		})
	}
}
