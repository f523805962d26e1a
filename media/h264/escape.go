package h264

// Emulation prevention (ITU-T H.264 7.4.1, H.265 7.4.2): inside a NAL unit
// the byte sequences 00 00 00, 00 00 01, 00 00 02 and 00 00 03 are escaped by
// inserting 03 after the two zeros.

// AppendEscaped appends rbsp to dst with emulation prevention bytes
// inserted. An RBSP ending in a cabac_zero_word (00 00) gets a final 03 as the
// standard requires.
func AppendEscaped(dst, rbsp []byte) []byte {
	zeros := 0
	for _, b := range rbsp {
		if zeros >= 2 && b <= 3 {
			dst = append(dst, 3)
			zeros = 0
		}
		dst = append(dst, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	if zeros >= 2 {
		dst = append(dst, 3)
	}
	return dst
}

// AppendUnescaped appends ebsp to dst with emulation prevention bytes
// removed.
func AppendUnescaped(dst, ebsp []byte) []byte {
	zeros := 0
	for _, b := range ebsp {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		dst = append(dst, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}

// NeedsEscape reports whether rbsp contains a sequence that emulation
// prevention would change.
func NeedsEscape(rbsp []byte) bool {
	zeros := 0
	for _, b := range rbsp {
		if zeros >= 2 && b <= 3 {
			return true
		}
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return zeros > 0
}
