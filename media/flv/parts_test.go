package flv

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
)

// TestTagParts: the parts of a video or audio tag body, concatenated, are
// the body the Append builders write (checked against the vectors by
// TestTagBodyEncode); the frame's NAL units and payload are pieces as they
// are, not copies; a refused frame leaves hdr and parts as they were.
func TestTagParts(t *testing.T) {
	big := make([]byte, MaxTagSize)
	for _, c := range []struct {
		name string
		f    *av.Frame
		mode HEVCMode
		err  error
	}{
		{"avc-key", videoFrame(av.H264, true, 66*time.Millisecond, vSPS, vPPS, vIDR), HEVCLegacy, nil},
		{"avc-inter", videoFrame(av.H264, false, 0, vP), HEVCLegacy, nil},
		{"avc-no-nalus", videoFrame(av.H264, false, 0), HEVCLegacy, nil},
		{"hevc-legacy-key", videoFrame(av.H265, true, 0, hVPS, hIDR), HEVCLegacy, nil},
		{"hevc-legacy-negative-ct", videoFrame(av.H265, false, -33*time.Millisecond, hTRAIL), HEVCLegacy, nil},
		{"hevc-enhanced-ct", videoFrame(av.H265, true, 40*time.Millisecond, hVPS, hIDR), HEVCEnhanced, nil},
		{"hevc-enhanced-no-ct", videoFrame(av.H265, false, 0, hTRAIL), HEVCEnhanced, nil},
		{"aac", &av.Frame{Codec: av.AAC, Payload: aacAU}, 0, nil},
		{"pcma", &av.Frame{Codec: av.PCMA, Payload: g711}, 0, nil},
		{"pcmu", &av.Frame{Codec: av.PCMU, Payload: g711}, 0, nil},
		{"video-too-big", videoFrame(av.H264, true, 0, vSPS, big), HEVCLegacy, ErrMalformed},
		{"audio-too-big", &av.Frame{Codec: av.AAC, Payload: big}, 0, ErrMalformed},
		{"video-codec", videoFrame(av.AAC, true, 0, vP), HEVCLegacy, ErrUnsupported},
		{"audio-codec", &av.Frame{Codec: av.H264, Payload: aacAU}, 0, ErrUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr := []byte{0xEE}
			parts := [][]byte{{0xDD}}
			var body []byte
			var err, berr error
			if c.f.Payload == nil { // the video cases
				hdr, parts, err = AppendVideoTagParts(hdr, parts, c.f, c.mode)
				body, berr = AppendVideoTagBody(nil, c.f, c.mode)
			} else {
				hdr, parts, err = AppendAudioTagParts(hdr, parts, c.f)
				body, berr = AppendAudioTagBody(nil, c.f)
			}
			if !errors.Is(err, c.err) || !errors.Is(berr, c.err) {
				t.Fatalf("parts: %v, body: %v, want %v", err, berr, c.err)
			}
			if c.err != nil {
				if len(hdr) != 1 || len(parts) != 1 {
					t.Errorf("refused frame left %d hdr bytes, %d parts", len(hdr), len(parts))
				}
				return
			}
			if hdr[0] != 0xEE || !bytes.Equal(parts[0], []byte{0xDD}) {
				t.Fatal("builder overwrote what hdr or parts held")
			}
			if got := bytes.Join(parts[1:], nil); !bytes.Equal(got, body) {
				t.Fatalf("parts\n got %x\nwant %x", got, body)
			}
			own := append(append([][]byte(nil), c.f.NALUs...), c.f.Payload)
			for _, u := range own {
				if len(u) == 0 {
					continue
				}
				found := false
				for _, p := range parts {
					found = found || (len(p) == len(u) && &p[0] == &u[0])
				}
				if !found {
					t.Errorf("a NAL unit or payload of %d bytes is copied, not a part", len(u))
				}
			}
		})
	}
}

// TestTagPartsAllocs: with room in hdr and parts, building parts
// allocates nothing.
func TestTagPartsAllocs(t *testing.T) {
	f := videoFrame(av.H264, true, 66*time.Millisecond, vSPS, vPPS, vIDR)
	a := &av.Frame{Codec: av.AAC, Payload: aacAU}
	hdr := make([]byte, 0, 64)
	parts := make([][]byte, 0, 16)
	allocs := testing.AllocsPerRun(100, func() {
		h, p, err := AppendVideoTagParts(hdr[:0], parts[:0], f, HEVCLegacy)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := AppendAudioTagParts(h, p, a); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allocs = %v", allocs)
	}
}
