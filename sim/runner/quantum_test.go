package runner

import (
	"testing"
	"time"
)

func TestLinkQuantum(t *testing.T) {
	for _, c := range []struct {
		opt  time.Duration
		want time.Duration
		desc string
	}{
		{0, DefaultLinkQuantum, "links write every 5ms, arrivals up to 5ms late"},
		{time.Millisecond, time.Millisecond, "links write every 1ms, arrivals up to 1ms late"},
		{20 * time.Millisecond, 20 * time.Millisecond, "links write every 20ms, arrivals up to 20ms late"},
		{-1, -1, "links write at exact times"},
		{-time.Second, -1, "links write at exact times"},
	} {
		r := &run{o: Options{LinkQuantum: c.opt}}
		if got := r.o.linkQuantum(); got != c.want {
			t.Errorf("LinkQuantum %v: quantum %v, want %v", c.opt, got, c.want)
		}
		if got := r.quantumDescription(); got != c.desc {
			t.Errorf("LinkQuantum %v: %q, want %q", c.opt, got, c.desc)
		}
	}
}
