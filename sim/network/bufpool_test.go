package network

import "testing"

func TestBufPool(t *testing.T) {
	for _, c := range []struct{ n, cap int }{{0, 512}, {1, 512}, {512, 512}, {513, 1024}, {4266, 8192}, {65536, 65536}, {65537, 65537}} {
		b := getBuf(c.n)
		if len(*b) != c.n || cap(*b) != c.cap {
			t.Errorf("getBuf(%d): len %d cap %d, want cap %d", c.n, len(*b), cap(*b), c.cap)
		}
		putBuf(b)
	}
	// A recycled buffer comes back at the asked length.
	b := getBuf(3000)
	putBuf(b)
	if b2 := getBuf(100); len(*b2) != 100 {
		t.Errorf("recycled buffer has length %d", len(*b2))
	}
}
