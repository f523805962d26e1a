package flv

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type fileTag struct {
	Type TagType
	TS   time.Duration
	Body []byte
}

// sampleFile builds a small FLV file from the tag vectors, with a
// timestamp above 2^24 ms to exercise the extension byte.
func sampleFile(t testing.TB) ([]byte, []fileTag) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Audio: true, Video: true})
	if err != nil {
		t.Fatal(err)
	}
	md, err := AppendMetadataBody(nil, Metadata{Width: 640, Height: 360, FrameRate: 15, VideoCodecID: CodecIDAVC, AudioCodecID: SoundFormatAAC, AudioSampleRate: 16000, AudioSampleSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	tags := []fileTag{{TagScript, 0, md}}
	for i, v := range tagVectors {
		ts := time.Duration(i) * 40 * time.Millisecond
		if i == len(tagVectors)-1 {
			ts = 5 * time.Hour // 18,000,000 ms > 2^24
		}
		tags = append(tags, fileTag{v.typ, ts, mustHex(v.hex)})
	}
	for _, tg := range tags {
		if err := w.WriteTag(tg.Type, tg.TS, tg.Body); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), tags
}

func readAll(b []byte) (Header, []fileTag, error) {
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return Header{}, nil, err
	}
	var out []fileTag
	for {
		tg, err := r.Next()
		if err == io.EOF {
			return r.Header, out, nil
		}
		if err != nil {
			return r.Header, out, err
		}
		out = append(out, fileTag{tg.Type, tg.Timestamp, bytes.Clone(tg.Body)})
	}
}

func TestFileRoundTrip(t *testing.T) {
	file, want := sampleFile(t)
	h, got, err := readAll(file)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Audio || !h.Video {
		t.Fatalf("header %+v", h)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("tags (-want +got):\n%s", d)
	}
	md, err := ParseMetadataBody(got[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if md.Width != 640 || md.Height != 360 || md.AudioSampleRate != 16000 || md.VideoCodecID != CodecIDAVC {
		t.Fatalf("metadata %+v", md)
	}
}

func TestFileHeaderBytes(t *testing.T) {
	got := AppendHeader(nil, Header{Audio: true, Video: true})
	if want := mustHex("464c5601 05 00000009 00000000"); !bytes.Equal(got, want) {
		t.Fatalf("header %x, want %x", got, want)
	}
	tag, err := AppendTag(nil, TagVideo, 0x01020304*time.Millisecond, []byte{0xAA})
	if err != nil {
		t.Fatal(err)
	}
	// type, size 1, timestamp 020304 + ext 01, stream 0, body, prev size 12.
	if want := mustHex("09 000001 020304 01 000000 aa 0000000c"); !bytes.Equal(tag, want) {
		t.Fatalf("tag %x, want %x", tag, want)
	}
}

func TestFileReadErrors(t *testing.T) {
	file, _ := sampleFile(t)
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"not-flv", []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00"), ErrMalformed},
		{"version-2", mustHex("464c5602 05 00000009 00000000"), ErrUnsupported},
		{"bad-offset", mustHex("464c5601 05 00000003 00000000"), ErrMalformed},
		{"bad-prev0", mustHex("464c5601 05 00000009 00000001"), ErrMalformed},
		{"cut-in-tag-header", file[:13+5], ErrTruncated},
		{"cut-in-body", file[:13+11+3], ErrTruncated},
		{"cut-in-prev-size", file[:len(file)-2], ErrTruncated},
		{"huge-declared-size", append(mustHex("464c5601 05 00000009 00000000 09 ffffff 000000 00 000000"), 1, 2, 3), ErrTruncated},
		{"bad-prev-size", func() []byte {
			b := bytes.Clone(file)
			b[len(b)-1] ^= 0xFF
			return b
		}(), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(c.b)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

// A tag declaring 16 MiB backed by 3 bytes must not allocate 16 MiB.
func TestFileReadBoundedAllocation(t *testing.T) {
	b := append(mustHex("464c5601 05 00000009 00000000 09 ffffff 000000 00 000000"), 1, 2, 3)
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v", err)
	}
	if c := cap(r.buf); c > 2*readChunk {
		t.Fatalf("reader grew its buffer to %d bytes for a 3-byte body", c)
	}
}

// FuzzFileRead reads arbitrary files: no panic, a clean EOF or an error,
// and tag bodies never larger than the input.
func FuzzFileRead(f *testing.F) {
	file, _ := sampleFile(f)
	f.Add(file)
	f.Add(file[:40])
	f.Add(AppendHeader(nil, Header{Video: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for range len(b) + 1 {
			tg, err := r.Next()
			if err != nil {
				return
			}
			if len(tg.Body) > len(b) {
				t.Fatal("tag body larger than the file")
			}
			switch tg.Type {
			case TagVideo:
				var v VideoTag
				_ = v.Unmarshal(tg.Body)
			case TagAudio:
				var a AudioTag
				_ = a.Unmarshal(tg.Body)
			case TagScript:
				_, _ = ParseMetadataBody(tg.Body)
			}
		}
		t.Fatal("reader did not stop")
	})
}
