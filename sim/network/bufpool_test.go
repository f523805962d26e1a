package network

import "testing"

func TestBufPool(t *testing.T) {
	for _, c := range []struct{ n, cap int }{
		{0, 512}, {1, 512}, {512, 512}, {513, 1024}, {2049, 4096}, {4096, 4096},
		{4097, 8192}, {4266, 8192}, {8193, 12288}, {21845, 24576}, {32768, 32768},
		{61441, 65536}, {65536, 65536}, {65537, 65537},
	} {
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
	// Every class holds what it is asked for and no more than 4 KiB over
	// (or a power of two up to 4 KiB).
	for n := 1; n <= 64<<10; n++ {
		c, size, ok := bufClass(n)
		if !ok || size < n || c < 0 || c >= bufClasses || (n > 4096 && size-n >= 4096) {
			t.Fatalf("bufClass(%d) = %d, %d, %v", n, c, size, ok)
		}
		if c2, size2, _ := bufClass(size); c2 != c || size2 != size {
			t.Fatalf("bufClass(%d) = %d, %d; its size %d has class %d, %d", n, c, size, size, c2, size2)
		}
	}
}
