package mpegts

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// The differential tests of the streaming video verification: the auScan
// against SplitAnnexB + auInfo + stamp.ReadNALUs over the whole access
// unit, and the Verifier against wholeVerifier (the Verifier as it was,
// assembling each access unit), over random valid and corrupted input.

// nalTypes are first bytes the random access units draw from: AUD, SPS,
// PPS, SEI, IDR, non-IDR (H.264) and AUD, VPS, SPS, PPS, SEI prefix and
// suffix, IDR, CRA, TRAIL (H.265), with zeros and ones that make start
// codes.
var nalTypes = map[av.Codec][]byte{
	av.H264: {0x09, 0x67, 0x68, 0x06, 0x65, 0x41, 0x01, 0x00},
	av.H265: {0x46, 0x40, 0x42, 0x44, 0x4e, 0x50, 0x26, 0x2a, 0x02, 0x00, 0x01},
}

// randomAU draws an Annex-B access unit full of the edge cases of NAL
// splitting: 3- and 4-byte start codes (or none, or too short), empty and
// one-byte NAL units, trailing zeros, real and broken stamps, start codes
// hidden in the bytes.
func randomAU(t *rapid.T, codec av.Codec, src *rand.Rand) []byte {
	var b []byte
	b = append(b, make([]byte, rapid.IntRange(0, 4).Draw(t, "lead"))...)
	if rapid.IntRange(0, 9).Draw(t, "no-1") != 0 {
		b = append(b, 1)
	}
	st := stamp.Append(nil, codec, stamp.New(testDevice, src.Uint64(), stampEpoch))
	for i := range rapid.IntRange(0, 8).Draw(t, "nalus") {
		if i > 0 {
			b = append(b, make([]byte, rapid.IntRange(2, 3).Draw(t, "sc"))...)
			b = append(b, 1)
		}
		switch rapid.IntRange(0, 5).Draw(t, "kind") {
		case 0: // a stamp, maybe broken or followed by zeros
			s := bytes.Clone(st)
			if rapid.Bool().Draw(t, "break-stamp") {
				s[src.IntN(len(s))] = byte(src.IntN(256))
			}
			b = append(b, s...)
		default:
			n := rapid.IntRange(0, 600).Draw(t, "size")
			alpha := []byte{0, 0, 0, 1, 3, 0x80, 0xff, nalTypes[codec][src.IntN(len(nalTypes[codec]))]}
			for k := range n {
				if k == 0 {
					b = append(b, rapid.SampledFrom(nalTypes[codec]).Draw(t, "type"))
					continue
				}
				b = append(b, alpha[src.IntN(len(alpha))])
			}
		}
		b = append(b, make([]byte, rapid.IntRange(0, 2).Draw(t, "trail"))...)
	}
	return b
}

func TestAUScanMatchesSplitAnnexB(t *testing.T) {
	var s auScan
	rapid.Check(t, func(t *rapid.T) {
		codec := rapid.SampledFrom([]av.Codec{av.H264, av.H265}).Draw(t, "codec")
		src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 2))
		au := randomAU(t, codec, src)

		nalus, werr := h264.SplitAnnexB(nil, au)
		var wkey, wparams, wstamped bool
		var wstamp stamp.Stamp
		if werr == nil {
			wkey, wparams = auInfo(codec, nalus)
			wstamp, wstamped = stamp.ReadNALUs(codec, nalus)
		}

		// every start code split every way: pieces of 1, 2, 3 bytes, and
		// of random sizes
		for _, piece := range []int{1, 2, 3, 0} {
			s.reset(codec)
			for rest := au; len(rest) > 0; {
				k := piece
				if k == 0 {
					k = rapid.IntRange(1, 200).Draw(t, "piece")
				}
				k = min(k, len(rest))
				s.write(rest[:k])
				rest = rest[k:]
			}
			gerr := s.finish()
			if gerr != werr {
				t.Fatalf("pieces of %d: err %v, SplitAnnexB %v (%d NAL units)", piece, gerr, werr, len(nalus))
			}
			if werr != nil {
				continue
			}
			if s.key != wkey || s.params() != wparams || s.stamped != wstamped || s.stamp != wstamp {
				t.Fatalf("pieces of %d: key %v params %v stamp %v %v; whole: %v %v %v %v", piece, s.key, s.params(), s.stamped, s.stamp, wkey, wparams, wstamped, wstamp)
			}
		}
	})
}

// randomTS draws a slice: the test profile's frames (stamped, with audio
// or not) with some access units replaced by random ones, muxed, then
// corrupted or not: bytes changed (anywhere, or in the first bytes of a
// PES), packets dropped or repeated, the end cut.
func randomTS(t *rapid.T) []byte {
	codec := rapid.SampledFrom([]av.Codec{av.H264, av.H265}).Draw(t, "codec")
	src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
	p := subStream.With(codec, time.Duration(rapid.IntRange(1, 20).Draw(t, "tenths"))*100*time.Millisecond)
	p.GOP = rapid.IntRange(1, 10).Draw(t, "gop")
	cfg := Config{Video: codec}
	if rapid.Bool().Draw(t, "audio") {
		cfg.AAC = aac16k
	} else {
		p.AACSize = 0
	}
	m, err := NewMuxer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, f := range p.Frames() {
		if f.Codec.IsVideo() && rapid.IntRange(0, 3).Draw(t, "random-au") == 0 {
			au := randomAU(t, codec, src)
			if f.NALUs, err = h264.SplitAnnexB(nil, au); err != nil || len(f.NALUs) == 0 {
				f.NALUs = [][]byte{au}
			}
		}
		out, _ = m.AppendFrame(out, &f)
	}
	for range rapid.IntRange(0, 3).Draw(t, "corruptions") {
		if len(out) < PacketSize {
			break
		}
		switch rapid.IntRange(0, 4).Draw(t, "corruption") {
		case 0:
			out[src.IntN(len(out))] = byte(src.IntN(256))
		case 1: // in a PES header or the start of its payload
			pkt := src.IntN(len(out)/PacketSize) * PacketSize
			out[pkt+4+src.IntN(40)] = []byte{0, 1, 0xff, byte(src.IntN(256))}[src.IntN(4)]
		case 2:
			pkt := src.IntN(len(out)/PacketSize) * PacketSize
			out = append(out[:pkt], out[pkt+PacketSize:]...)
		case 3:
			pkt := src.IntN(len(out)/PacketSize) * PacketSize
			out = append(out[:pkt+PacketSize], out[pkt:]...)
		case 4:
			out = out[:src.IntN(len(out)+1)]
		}
	}
	return out
}

func TestVerifyMatchesWholeVerifier(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := randomTS(t)
		lim := Limits{}
		if rapid.IntRange(0, 3).Draw(t, "limits") == 0 {
			lim = Limits{MaxPESSize: rapid.IntRange(1, 20000).Draw(t, "max-pes"), MaxFrames: rapid.IntRange(1, 30).Draw(t, "max-frames")}
		}
		want, werr := newWholeVerifier(lim).Verify(b)
		v := NewVerifier(lim)
		got, gerr := v.Verify(b)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("err %v, whole %v", gerr, werr)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("Info differs (-whole +streaming):\n%s", d)
		}
		// VerifyReader tells some errors apart in another order (it meets
		// a partial packet last): the same outcome, not the same error.
		got, gerr = v.VerifyReader(iotest.HalfReader(bytes.NewReader(b)))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("VerifyReader err %v, whole %v", gerr, werr)
		}
		if werr == nil {
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("VerifyReader Info differs (-whole +streaming):\n%s", d)
			}
		}
	})
}

// BenchmarkVerifySliceWhole is BenchmarkVerifySlice with wholeVerifier,
// to compare the two under the same load.
func BenchmarkVerifySliceWhole(b *testing.B) {
	for _, c := range sliceCases[:2] {
		b.Run(c.name, func(b *testing.B) {
			slice := muxAll(b, c.cfg, c.profile.Frames())
			v := newWholeVerifier(Limits{})
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

// auScanVectors are access units for FuzzAUScan's seeds: the test
// profile's (stamped, with parameter sets) and the edge cases of NAL
// splitting.
func auScanVectors(tb testing.TB) [][]byte {
	var out [][]byte
	for _, c := range []av.Codec{av.H264, av.H265} {
		p := subStream.With(c, 200*time.Millisecond)
		p.ISize, p.PSize = 300, 60 // small, so the fuzzer mutates structure
		for _, f := range p.Frames()[:2] {
			if f.Codec.IsVideo() {
				out = append(out, h264.AppendAnnexB(nil, f.NALUs...))
			}
		}
	}
	return append(out,
		nil, []byte{0, 0}, []byte{0, 1, 9}, []byte{0, 0, 1}, []byte{0, 0, 0, 1, 0, 0, 1, 0, 0, 0},
		[]byte{0, 0, 1, 6, 0, 0, 0, 1, 0x65, 0, 0, 3, 0, 0, 1, 0x41, 0, 0})
}

// FuzzAUScan: on any bytes, in any pieces, the auScan agrees with
// SplitAnnexB, auInfo and stamp.ReadNALUs over the whole (the first byte
// of the input picks the codec and the piece size).
func FuzzAUScan(f *testing.F) {
	for i, au := range auScanVectors(f) {
		f.Add(append([]byte{byte(i)}, au...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var s auScan
		if len(in) == 0 {
			return
		}
		codec, piece := av.H264, int(in[0]>>1)+1
		if in[0]&1 != 0 {
			codec = av.H265
		}
		au := in[1:]
		nalus, werr := h264.SplitAnnexB(nil, au)
		s.reset(codec)
		for rest := au; len(rest) > 0; {
			k := min(piece, len(rest))
			s.write(rest[:k])
			rest = rest[k:]
		}
		if gerr := s.finish(); gerr != werr {
			t.Fatalf("err %v, SplitAnnexB %v", gerr, werr)
		}
		if werr != nil {
			return
		}
		key, params := auInfo(codec, nalus)
		st, stamped := stamp.ReadNALUs(codec, nalus)
		if s.key != key || s.params() != params || s.stamped != stamped || s.stamp != st {
			t.Fatalf("key %v params %v stamp %v; whole %v %v %v", s.key, s.params(), s.stamped, key, params, stamped)
		}
		if cap(s.sei) > 2*len(au)+64 { // what append's growth gives

			t.Fatalf("SEI buffer of %d bytes for %d", cap(s.sei), len(au))
		}
	})
}
