package mpegts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astits"
	"github.com/fleetsim/fleetsim/internal/testmedia"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/stamp"
)

// sliceCase is one slice configuration: the table drives the round-trip
// tests, the astits cross-check, the fuzz seeds and the benchmarks.
type sliceCase struct {
	name    string
	cfg     Config
	profile testmedia.Profile
}

var sliceCases = []sliceCase{
	{"h264-aac-10s", Config{Video: av.H264, AAC: aac16k}, subStream.With(av.H264, 10*time.Second)},
	{"h265-aac-10s", Config{Video: av.H265, AAC: aac16k}, subStream.With(av.H265, 10*time.Second)},
	{"h264-video-only-2s", Config{Video: av.H264}, func() testmedia.Profile {
		p := subStream.With(av.H264, 2*time.Second)
		p.AACSize = 0
		return p
	}()},
}

func TestMuxVerifyRoundTrip(t *testing.T) {
	v := NewVerifier(Limits{})
	for _, c := range sliceCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.profile.Frames()
			slice := muxAll(t, c.cfg, frames)
			if len(slice)%PacketSize != 0 {
				t.Fatalf("slice of %d bytes", len(slice))
			}
			info, err := v.Verify(slice)
			if err != nil {
				t.Fatal(err)
			}
			nv, na := count(frames)
			frameDur := time.Second / time.Duration(c.profile.FPS)
			wantAudio := av.CodecUnknown
			if c.cfg.AAC != nil {
				wantAudio = av.AAC
			}
			if info.VideoCodec != c.cfg.Video || info.AudioCodec != wantAudio {
				t.Errorf("codecs %v/%v", info.VideoCodec, info.AudioCodec)
			}
			if info.VideoFrames != nv || info.AudioFrames != na {
				t.Errorf("frames %d/%d, want %d/%d", info.VideoFrames, info.AudioFrames, nv, na)
			}
			if want := (nv + c.profile.GOP - 1) / c.profile.GOP; info.KeyFrames != want {
				t.Errorf("key frames %d, want %d", info.KeyFrames, want)
			}
			if !info.FirstKeyWithParams {
				t.Error("first frame not reported as IDR with parameter sets")
			}
			if info.FirstPTS != 0 || !near(info.LastPTS, time.Duration(nv-1)*frameDur) {
				t.Errorf("PTS %v..%v", info.FirstPTS, info.LastPTS)
			}
			checkStamps(t, info.Stamps, info.Unstamped, nv)
			checkSizes(t, frames, info.VideoSizes, info.AudioSizes)
			if info.Duration != c.profile.Duration {
				t.Errorf("duration %v, want %v", info.Duration, c.profile.Duration)
			}
			if info.Bytes != len(slice) {
				t.Errorf("bytes %d", info.Bytes)
			}
		})
	}
}

// TestAstitsReadsSlice demuxes our slice with an independent reader
// (github.com/asticode/go-astits): same PES count per stream, same PTS, and
// the PMT stream types we declared.
func TestAstitsReadsSlice(t *testing.T) {
	for _, c := range sliceCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.profile.Frames()
			slice := muxAll(t, c.cfg, frames)
			dmx := astits.NewDemuxer(context.Background(), bytes.NewReader(slice))
			var gotV, gotA int
			var vPTS []int64
			pmts := 0
			for {
				d, err := dmx.NextData()
				if errors.Is(err, astits.ErrNoMorePackets) || errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.PMT != nil {
					pmts++
					if d.PMT.PCRPID != PIDVideo {
						t.Errorf("PCR PID 0x%x", d.PMT.PCRPID)
					}
				}
				if d.PES == nil {
					continue
				}
				switch d.PID {
				case PIDVideo:
					gotV++
					vPTS = append(vPTS, d.PES.Header.OptionalHeader.PTS.Base)
				case PIDAudio:
					gotA++
				}
			}
			nv, na := count(frames)
			if gotV != nv || gotA != na {
				t.Fatalf("astits read %d/%d PES, want %d/%d", gotV, gotA, nv, na)
			}
			for i, p := range vPTS {
				if want := int64(i) * 90000 / int64(c.profile.FPS); p != want {
					t.Fatalf("PES %d PTS %d, want %d", i, p, want)
				}
			}
			if want := (nv + c.profile.GOP - 1) / c.profile.GOP; pmts != want {
				t.Errorf("%d PMTs, want one per key frame (%d)", pmts, want)
			}
		})
	}
}

// TestPacketLayout checks the bytes of the first packets of a slice:
// PAT, PMT, then the key frame's first packet with PCR and random access.
func TestPacketLayout(t *testing.T) {
	frames := sliceCases[0].profile.Frames()
	m, err := NewMuxer(sliceCases[0].cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := frames[0]
	f.PTS, f.DTS = 2*time.Second, 2*time.Second
	out, err := m.AppendVideo(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	pat := out[:PacketSize]
	if want := mustHex("47400010" + "00" + "00b00d0001c10000" + "0001f000"); !bytes.Equal(pat[:17], want) {
		t.Fatalf("PAT % x", pat[:17])
	}
	if crc32MPEG(pat[5:21]) != 0 {
		t.Fatal("PAT CRC")
	}
	pmt := out[PacketSize : 2*PacketSize]
	if want := mustHex("47500010" + "00" + "02b0170001c10000" + "e100f000" + "1be100f000" + "0fe101f000"); !bytes.Equal(pmt[:27], want) {
		t.Fatalf("PMT % x", pmt[:27])
	}
	pes := out[2*PacketSize : 3*PacketSize]
	// PUSI, PID 0x100, AF+payload, CC 0; AF length 7, RAI|PCR, PCR = (2 s − 100 ms)·90 kHz.
	pcr := uint64(1900 * 90)
	wantAF := []byte{0x47, 0x41, 0x00, 0x30, 7, 0x50, byte(pcr >> 25), byte(pcr >> 17), byte(pcr >> 9), byte(pcr >> 1), byte(pcr<<7) | 0x7E, 0}
	if !bytes.Equal(pes[:12], wantAF) {
		t.Fatalf("first PES packet header % x, want % x", pes[:12], wantAF)
	}
	// PES header: video stream, PTS only (0x2 prefix), 2 s = 180000.
	esLen := 0
	for _, u := range f.NALUs {
		esLen += 4 + len(u)
	}
	pesLen := 3 + 5 + 6 + esLen // header data, PTS, AUD with start code, NAL units
	if want := mustHex("000001e0" + fmt.Sprintf("%04x", pesLen) + "8480" + "05" + "21000b7e41" + "00000001" + "09f0"); !bytes.Equal(pes[12:12+len(want)], want) {
		t.Fatalf("PES header % x\nwant          % x", pes[12:12+len(want)], want)
	}
	// Continuity counters run on across calls.
	next := frames[1]
	for i := 1; !next.Codec.IsVideo(); i++ {
		next = frames[i]
	}
	out2, err := m.AppendVideo(nil, &next)
	if err != nil {
		t.Fatal(err)
	}
	if cc := out2[3] & 0x0F; cc != byte(len(out)/PacketSize-2)&0x0F {
		t.Fatalf("next video CC %d", cc)
	}
}

func TestMuxerErrors(t *testing.T) {
	if _, err := NewMuxer(Config{Video: av.AAC}); err == nil {
		t.Error("audio as video accepted")
	}
	m, err := NewMuxer(Config{Video: av.H264})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := m.AppendAudio([]byte{1}, &av.Frame{Codec: av.AAC, Payload: []byte{1}}); err == nil || len(out) != 1 {
		t.Error("audio accepted by a video-only muxer")
	}
	if _, err := m.AppendVideo(nil, &av.Frame{Codec: av.H265, NALUs: [][]byte{{0x26, 1}}}); err == nil {
		t.Error("H.265 accepted by an H.264 muxer")
	}
	if _, err := m.AppendVideo(nil, &av.Frame{Codec: av.H264}); err == nil {
		t.Error("empty access unit accepted")
	}
}

// After warm-up, muxing a frame allocates nothing.
func TestMuxerNoAllocs(t *testing.T) {
	c := sliceCases[0]
	frames := c.profile.Frames()
	m, err := NewMuxer(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 2<<20)
	allocs := testing.AllocsPerRun(5, func() {
		out := buf[:0]
		for i := range frames {
			out, _ = m.AppendFrame(out, &frames[i])
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per slice", allocs)
	}
}

// near: within one 90 kHz tick.
func near(a, b time.Duration) bool {
	d := a - b
	return d > -time.Second/90000 && d < time.Second/90000
}

// checkSizes: every frame's size read back from the slice equals its
// av.Frame.Size (what the camera counts as sent), in order per stream —
// the AUD the Muxer adds and the ADTS headers left out.
func checkSizes(t *testing.T, frames []av.Frame, video, audio []int) {
	t.Helper()
	var wantV, wantA []int
	for i := range frames {
		if frames[i].Codec.IsVideo() {
			wantV = append(wantV, frames[i].Size())
		} else {
			wantA = append(wantA, frames[i].Size())
		}
	}
	if !slices.Equal(video, wantV) || !slices.Equal(audio, wantA) {
		t.Fatalf("frame sizes read back differ from the frames':\nvideo %v\nwant  %v\naudio %v\nwant  %v", video, wantV, audio, wantA)
	}
}

// checkStamps: every video frame's stamp read back, in order.
func checkStamps(t *testing.T, stamps []stamp.Stamp, unstamped, frames int) {
	t.Helper()
	if len(stamps) != frames || unstamped != 0 {
		t.Fatalf("%d stamps, %d unstamped frames, want %d stamps", len(stamps), unstamped, frames)
	}
	frameDur := time.Second / 15
	for i, s := range stamps {
		want := stamp.New(testDevice, uint64(i), stampEpoch.Add(time.Duration(i)*frameDur))
		if s != want {
			t.Fatalf("stamp %d = %+v, want %+v", i, s, want)
		}
	}
}

func TestStuffingCoversAPacket(t *testing.T) {
	if len(stuffing) != payloadSize || strings.Trim(stuffing, "\xff") != "" {
		t.Fatalf("stuffing is %d bytes", len(stuffing))
	}
}
