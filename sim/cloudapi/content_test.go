package cloudapi

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// testContent serves data, or fails after fail bytes, or claims size.
type testContent struct {
	data []byte
	size int64
	fail int // >= 0: the reader fails after fail bytes
}

var errBroken = errors.New("broken")

func (c testContent) Size() int64 { return c.size }
func (c testContent) Open() io.Reader {
	if c.fail >= 0 {
		return io.MultiReader(bytes.NewReader(c.data[:c.fail]), iotestErr{})
	}
	return bytes.NewReader(c.data)
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBroken }

func TestSliceUploadBody(t *testing.T) {
	data := []byte("0123456789")
	cases := []struct {
		name    string
		s       SliceUpload
		size    int64
		wantErr bool
	}{
		{"body", SliceUpload{Body: data}, 10, false},
		{"empty body", SliceUpload{}, 0, false},
		{"content", SliceUpload{Content: testContent{data: data, size: 10, fail: -1}}, 10, false},
		{"content short", SliceUpload{Content: testContent{data: data, size: 12, fail: -1}}, 12, true},
		{"content long", SliceUpload{Content: testContent{data: data, size: 8, fail: -1}}, 8, true},
		{"content failing", SliceUpload{Content: testContent{data: data, size: 10, fail: 4}}, 10, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.BodySize(); got != c.size {
				t.Fatalf("BodySize %d, want %d", got, c.size)
			}
			got, err := c.s.ReadBody(make([]byte, 0, 4))
			if c.wantErr {
				var ce *ContentError
				if !errors.As(err, &ce) || ce.Size != c.size {
					t.Fatalf("ReadBody error %v, want a ContentError of %d bytes", err, c.size)
				}
				return
			}
			if err != nil || int64(len(got)) != c.size || !bytes.Equal(got, data[:c.size]) {
				t.Fatalf("ReadBody %q, %v", got, err)
			}
			all, err := io.ReadAll(c.s.OpenBody())
			if err != nil || !bytes.Equal(all, got) {
				t.Fatalf("OpenBody gave %q, %v", all, err)
			}
		})
	}
}
