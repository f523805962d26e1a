package flv

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fleetsim/fleetsim/media/av"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpTags = cmpopts.EquateEmpty()

func TestTagBodyEncode(t *testing.T) {
	for _, v := range tagVectors {
		t.Run(v.name, func(t *testing.T) {
			prefix := []byte{0xEE}
			got, err := v.build(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:1], prefix) {
				t.Fatal("builder overwrote dst")
			}
			if want := mustHex(v.hex); !bytes.Equal(got[1:], want) {
				t.Fatalf("body\n got %x\nwant %x", got[1:], want)
			}
		})
	}
}

func TestTagBodyDecode(t *testing.T) {
	for _, v := range tagVectors {
		t.Run(v.name, func(t *testing.T) {
			body := mustHex(v.hex)
			switch v.typ {
			case TagVideo:
				var got VideoTag
				if err := got.Unmarshal(body); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(*v.video, got, cmpTags); d != "" {
					t.Fatalf("video tag (-want +got):\n%s", d)
				}
				// NAL units are sub-slices of the body, not copies.
				for _, u := range got.NALUs {
					if !within(body, u) {
						t.Fatal("NAL unit is not a sub-slice of the body")
					}
				}
			case TagAudio:
				var got AudioTag
				if err := got.Unmarshal(body); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(*v.audio, got, cmpTags); d != "" {
					t.Fatalf("audio tag (-want +got):\n%s", d)
				}
			}
		})
	}
}

func within(outer, inner []byte) bool {
	if len(inner) == 0 {
		return true
	}
	for i := range outer {
		if &outer[i] == &inner[0] {
			return i+len(inner) <= len(outer)
		}
	}
	return false
}

func TestTagBodyDecodeErrors(t *testing.T) {
	for _, v := range badTagVectors {
		t.Run(v.name, func(t *testing.T) {
			body := mustHex(v.hex)
			var err error
			if v.typ == TagVideo {
				var vt VideoTag
				err = vt.Unmarshal(body)
			} else {
				var at AudioTag
				err = at.Unmarshal(body)
			}
			if !errors.Is(err, v.want) {
				t.Fatalf("err = %v, want %v", err, v.want)
			}
		})
	}
}

func TestVideoTagReusesNALUs(t *testing.T) {
	var vt VideoTag
	body := mustHex(tagVectors[1].hex)
	if err := vt.Unmarshal(body); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := vt.Unmarshal(body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Unmarshal allocates %v times per call with a warm VideoTag", allocs)
	}
}

func TestTooManyNALUs(t *testing.T) {
	body := []byte{0x27, 0x01, 0, 0, 0}
	for range MaxNALUs + 1 {
		body = append(body, 0, 0, 0, 1, 0x41)
	}
	var vt VideoTag
	if err := vt.Unmarshal(body); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}

// FuzzTagBody parses arbitrary video and audio tag bodies: never a panic,
// every NAL unit inside the body, and a parsed coded frame re-encodes to
// the same bytes when it came in the canonical form.
func FuzzTagBody(f *testing.F) {
	for _, v := range tagVectors {
		f.Add(uint8(v.typ), mustHex(v.hex))
	}
	for _, v := range badTagVectors {
		f.Add(uint8(v.typ), mustHex(v.hex))
	}
	var vt VideoTag
	var at AudioTag
	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		if TagType(typ) == TagAudio {
			if err := at.Unmarshal(body); err == nil {
				if len(at.Payload) > len(body) || len(at.Config) > len(body) {
					t.Fatal("audio payload larger than body")
				}
			}
			return
		}
		if err := vt.Unmarshal(body); err != nil {
			return
		}
		total := 0
		for _, u := range vt.NALUs {
			if len(u) == 0 || !within(body, u) {
				t.Fatal("NAL unit outside the body")
			}
			total += len(u)
		}
		if total > len(body) {
			t.Fatal("NAL units larger than body")
		}
		// A coded frame in canonical form re-encodes to the same bytes.
		canonical := vt.Packet == PacketFrame && (vt.FrameType == FrameTypeKey || vt.FrameType == FrameTypeInter) &&
			!(vt.Enhanced && (vt.Codec != av.H265 || body[0]&0x0F == PacketTypeCodedFrames && vt.CompositionTime == 0))
		if !canonical {
			return
		}
		mode := HEVCLegacy
		if vt.Enhanced {
			mode = HEVCEnhanced
		}
		fr := av.Frame{Codec: vt.Codec, Key: vt.Key, PTS: vt.CompositionTime, NALUs: vt.NALUs}
		again, err := AppendVideoTagBody(nil, &fr, mode)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, body) {
			t.Fatalf("re-encode\n got %x\nwant %x", again, body)
		}
	})
}
