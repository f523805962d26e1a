package main

import (
	"strings"
	"testing"
)

func TestParseCPUStat(t *testing.T) {
	cases := []struct {
		name, in     string
		total, steal int64
		errPart      string
	}{
		{"kernel line", "cpu  2510310 32739 382348 5415690 4808 0 52174 69148 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n", 2510310 + 32739 + 382348 + 5415690 + 4808 + 52174 + 69148, 69148, ""},
		{"no guest fields", "cpu 1 2 3 4 5 6 7 8\n", 36, 8, ""},
		{"short", "cpu 1 2 3 4 5 6 7\n", 0, 0, "8 times"},
		{"not the cpu line", "intr 1 2 3 4 5 6 7 8 9\n", 0, 0, "8 times"},
		{"negative", "cpu 1 2 3 4 5 6 7 -8\n", 0, 0, "time"},
		{"empty", "", 0, 0, "8 times"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := parseCPUStat(c.in)
			if c.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), c.errPart) {
					t.Fatalf("error %v, want one containing %q", err, c.errPart)
				}
				return
			}
			if err != nil || st.total != c.total || st.steal != c.steal {
				t.Fatalf("%+v, %v: want total %d steal %d", st, err, c.total, c.steal)
			}
		})
	}
	if s := stealShare(cpuStat{100, 10}, cpuStat{300, 60}); s != 0.25 {
		t.Errorf("steal share %v, want 0.25", s)
	}
	if s := stealShare(cpuStat{100, 10}, cpuStat{100, 10}); s != -1 {
		t.Errorf("steal share over no time %v, want -1 (unknown)", s)
	}
	if _, err := readCPUStat(); err != nil {
		t.Errorf("this machine's /proc/stat: %v", err)
	}
}
