package mpegts

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// smallSlice is a short H.264+AAC slice used by the malformed-input table
// and as a fuzz seed (small, so the fuzzer mutates structure, not filler).
func smallSlice(t testing.TB, codec av.Codec) []byte {
	p := subStream.With(codec, 400*time.Millisecond)
	p.ISize, p.PSize, p.AACSize = 300, 60, 20
	p.GOP = 3
	return muxAll(t, Config{Video: codec, AAC: aac16k}, p.Frames())
}

func corrupt(b []byte, f func(b []byte) []byte) []byte { return f(bytes.Clone(b)) }

// malformedCase is a broken slice and the error class it must give; the
// table drives Verify, VerifyReader and the fuzz seeds.
type malformedCase struct {
	name string
	b    []byte
	want error
	lim  Limits
}

func malformedCases(t testing.TB) []malformedCase {
	good := smallSlice(t, av.H264)
	pkt := func(i int) int { return i * PacketSize }
	return []malformedCase{
		{"empty", nil, ErrTruncated, Limits{}},
		{"partial-packet", good[:len(good)-1], ErrTruncated, Limits{}},
		{"lost-sync", corrupt(good, func(b []byte) []byte { b[pkt(3)] = 0x48; return b }), ErrMalformed, Limits{}},
		{"pat-crc", corrupt(good, func(b []byte) []byte { b[pkt(0)+10] ^= 1; return b }), ErrMalformed, Limits{}},
		{"pmt-crc", corrupt(good, func(b []byte) []byte { b[pkt(1)+20] ^= 1; return b }), ErrMalformed, Limits{}},
		{"no-tables", withoutPIDs(good, PIDPAT, PIDPMT), ErrMalformed, Limits{}},
		{"no-pmt", withoutPIDs(good, PIDPMT), ErrMalformed, Limits{}},
		{"cc-gap", append(bytes.Clone(good[:pkt(3)]), good[pkt(4):]...), ErrMalformed, Limits{}},
		{"pes-start-code", corrupt(good, func(b []byte) []byte { b[pkt(2)+12] = 0x55; return b }), ErrMalformed, Limits{}},
		{"transport-error", corrupt(good, func(b []byte) []byte { b[pkt(2)+1] |= 0x80; return b }), ErrMalformed, Limits{}},
		{"scrambled", corrupt(good, func(b []byte) []byte { b[pkt(2)+3] |= 0x80; return b }), ErrMalformed, Limits{}},
		{"af-length", corrupt(good, func(b []byte) []byte { b[pkt(2)+4] = 190; return b }), ErrMalformed, Limits{}},
		{"too-large", good, ErrTooLarge, Limits{MaxSliceSize: len(good) - PacketSize}},
	}
}

func TestVerifyMalformed(t *testing.T) {
	cases := malformedCases(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewVerifier(c.lim).Verify(c.b)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestVerifyLimits(t *testing.T) {
	good := smallSlice(t, av.H264)
	if _, err := NewVerifier(Limits{MaxPESSize: 100}).Verify(good); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxPESSize: err = %v", err)
	}
	if _, err := NewVerifier(Limits{MaxFrames: 2}).Verify(good); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxFrames: err = %v", err)
	}
}

// A slice whose timestamps cross the 33-bit wrap (26.5 h of media time)
// still has the right first/last PTS order and duration.
func TestVerifyPTSWrap(t *testing.T) {
	p := subStream.With(av.H264, 2*time.Second)
	frames := p.Frames()
	wrap := time.Duration(tsPeriod) * time.Second / 90000
	for i := range frames {
		frames[i].PTS += wrap - time.Second
		frames[i].DTS = frames[i].PTS
	}
	info, err := NewVerifier(Limits{}).Verify(muxAll(t, Config{Video: av.H264, AAC: aac16k}, frames))
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration != 2*time.Second {
		t.Fatalf("duration across the wrap %v", info.Duration)
	}
}

// The Verifier reuses its buffers: a warm Verifier allocates nothing per
// slice.
func TestVerifyNoAllocs(t *testing.T) {
	slice := muxAll(t, sliceCases[0].cfg, sliceCases[0].profile.Frames())
	v := NewVerifier(Limits{})
	if _, err := v.Verify(slice); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(3, func() { _, _ = v.Verify(slice) }); a != 0 {
		t.Fatalf("%v allocations per verified slice", a)
	}
}

// FuzzVerify: arbitrary input gives an Info or an error, never a panic,
// and never more reassembly memory than Limits allow.
func FuzzVerify(f *testing.F) {
	for _, c := range []av.Codec{av.H264, av.H265} {
		f.Add(smallSlice(f, c))
	}
	good := smallSlice(f, av.H264)
	f.Add(good[:5*PacketSize])
	f.Add(good[2*PacketSize:])
	lim := Limits{MaxSliceSize: 1 << 20, MaxPESSize: 64 << 10, MaxFrames: 100}
	v := NewVerifier(lim)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := v.Verify(b)
		if cap(v.video.au.sei) > 2*lim.MaxPESSize+PacketSize || cap(v.audio.b) > 2*lim.MaxPESSize+PacketSize {
			t.Fatalf("PES buffers grew to %d/%d", cap(v.video.au.sei), cap(v.audio.b))
		}
		if err != nil {
			return
		}
		if info.VideoFrames > lim.MaxFrames || len(info.Stamps)+info.Unstamped != info.VideoFrames ||
			len(info.VideoSizes) != info.VideoFrames || len(info.AudioSizes) != info.AudioFrames {
			t.Fatalf("inconsistent info %+v", info)
		}
		if info.VideoFrames > 0 && info.LastPTS < info.FirstPTS {
			t.Fatalf("last PTS %v before first %v", info.LastPTS, info.FirstPTS)
		}
	})
}

// withoutPIDs drops every packet of the given PIDs.
func withoutPIDs(b []byte, pids ...uint16) []byte {
	var out []byte
	for off := 0; off+PacketSize <= len(b); off += PacketSize {
		p := b[off : off+PacketSize]
		pid := uint16(p[1]&0x1F)<<8 | uint16(p[2])
		drop := false
		for _, x := range pids {
			drop = drop || pid == x
		}
		if !drop {
			out = append(out, p...)
		}
	}
	return out
}
