package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resolution is a picture size, written WIDTHxHEIGHT ("640x360").
type Resolution struct {
	Width, Height int
}

func (r Resolution) String() string { return fmt.Sprintf("%dx%d", r.Width, r.Height) }

func (*Resolution) expected() string {
	return "a resolution WIDTHxHEIGHT such as 640x360 (even numbers, 16 to 8192)"
}

// ParseResolution parses "640x360".
func ParseResolution(s string) (Resolution, error) {
	w, h, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if !ok {
		return Resolution{}, fmt.Errorf("no 'x'")
	}
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	if err1 != nil || err2 != nil {
		return Resolution{}, fmt.Errorf("not two integers")
	}
	for _, v := range []int{wi, hi} {
		if v < 16 || v > 8192 || v%2 != 0 {
			return Resolution{}, fmt.Errorf("%d is out of range or odd", v)
		}
	}
	return Resolution{Width: wi, Height: hi}, nil
}

func (r *Resolution) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "found %s; expected %s", found(n), r.expected())
		return
	}
	v, err := ParseResolution(n.Value)
	if err != nil {
		d.errorf(n, path, "found %s; expected %s", found(n), r.expected())
		return
	}
	*r = v
}
