package cloud

import (
	"errors"
	"fmt"
)

// CheckJPEG checks that b is a JPEG (ITU-T T.81) as far as storage cares:
// it starts with SOI, its marker segments up to the first SOS are well
// formed with lengths inside the data, a frame header (SOFn) comes before
// the scan, and it ends with EOI.
func CheckJPEG(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("jpeg: %d bytes, too short", len(b))
	}
	if b[0] != 0xFF || b[1] != 0xD8 {
		return errors.New("jpeg: no SOI marker (FF D8) at the start")
	}
	if b[len(b)-2] != 0xFF || b[len(b)-1] != 0xD9 {
		return errors.New("jpeg: no EOI marker (FF D9) at the end")
	}
	sof := false
	i := 2
	for i < len(b)-2 {
		if b[i] != 0xFF {
			return fmt.Errorf("jpeg: byte %#x at %d where a marker should start", b[i], i)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(b)-2 {
			return errors.New("jpeg: truncated marker")
		}
		m := b[i]
		i++
		switch {
		case m == 0x00:
			return fmt.Errorf("jpeg: stuffed byte FF 00 at %d outside a scan", i-2)
		case m == 0xD8:
			return fmt.Errorf("jpeg: second SOI at %d", i-2)
		case m == 0xD9:
			return fmt.Errorf("jpeg: EOI at %d before any scan", i-2)
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			continue // no length
		}
		if i+2 > len(b) {
			return errors.New("jpeg: truncated segment length")
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b)-2 {
			return fmt.Errorf("jpeg: segment %#x at %d has length %d beyond the data", m, i-2, n)
		}
		switch {
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if n < 8 {
				return fmt.Errorf("jpeg: frame header of %d bytes", n)
			}
			sof = true
		case m == 0xDA:
			if !sof {
				return errors.New("jpeg: scan (SOS) before any frame header (SOF)")
			}
			return nil // entropy-coded data follows up to EOI
		}
		i += n
	}
	return errors.New("jpeg: no scan (SOS) before EOI")
}
