package aac

import "testing"

// FuzzADTS parses arbitrary bytes as a run of ADTS frames.
func FuzzADTS(f *testing.F) {
	for _, v := range adtsVectors {
		f.Add(v.header)
	}
	p, _ := SilentFrame(2, 40)
	s, _ := AppendADTSFrame(nil, Config{Object: ObjectAACLC, SampleRate: 48000, Channels: 2}, p)
	f.Add(s)
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			h, payload, rest, err := SplitADTS(b)
			if err != nil {
				return
			}
			if len(payload)+h.HeaderLen() != h.FrameLength || len(rest) >= len(b) {
				t.Fatalf("frame accounting: %+v payload %d", h, len(payload))
			}
			b = rest
		}
	})
}

// FuzzConfig parses arbitrary bytes as an AudioSpecificConfig and checks
// that what it accepts re-encodes to a config that parses the same.
func FuzzConfig(f *testing.F) {
	for _, v := range ascVectors {
		f.Add(v.asc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			return
		}
		out, err := AppendConfig(nil, c)
		if err != nil {
			t.Fatalf("accepted %+v does not re-encode: %v", c, err)
		}
		c2, err := ParseConfig(out)
		if err != nil || c2 != c {
			t.Fatalf("re-encode: %+v, %v; was %+v", c2, err, c)
		}
	})
}
