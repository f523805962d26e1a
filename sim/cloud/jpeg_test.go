package cloud

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
)

func realJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 32, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(3, 3, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 50}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegVectors is the table shared by the tests and the fuzz seeds.
func jpegVectors(t testing.TB) []struct {
	name    string
	data    []byte
	wantErr string
} {
	good := realJPEG(t)
	sof := []byte{0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0}
	sos := []byte{0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0}
	minimal := append(append(append([]byte{0xFF, 0xD8}, sof...), sos...), 0x12, 0x34, 0xFF, 0xD9)
	return []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"real", good, ""},
		{"minimal", minimal, ""},
		{"empty", nil, "too short"},
		{"no SOI", append([]byte{0x00, 0xD8}, good[2:]...), "SOI"},
		{"truncated", good[:len(good)/2], "EOI"},
		{"no EOI", good[:len(good)-2], "EOI"},
		{"SOI EOI only", []byte{0xFF, 0xD8, 0xFF, 0xD9}, "no scan"},
		{"SOS before SOF", append(append([]byte{0xFF, 0xD8}, sos...), 0xFF, 0xD9), "before any frame header"},
		{"segment past end", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0xFF, 0xD9}, "beyond"},
		{"garbage between", []byte{0xFF, 0xD8, 0x12, 0x34, 0xFF, 0xD9}, "where a marker"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "SOI"},
	}
}

func TestCheckJPEG(t *testing.T) {
	for _, v := range jpegVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			err := CheckJPEG(v.data)
			if v.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), v.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, v.wantErr)
			}
		})
	}
}

func FuzzCheckJPEG(f *testing.F) {
	for _, v := range jpegVectors(f) {
		f.Add(v.data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckJPEG(b) == nil && (len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 || b[len(b)-1] != 0xD9) {
			t.Fatalf("accepted %x", b)
		}
	})
}
