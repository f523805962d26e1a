package cloud

import (
	"testing"
	"time"
)

type rtpPkt struct {
	seq    uint16
	ts     uint32
	marker bool
	at     time.Duration
}

func TestRTPStats(t *testing.T) {
	// frames of 3 packets, 90 kHz, one every 40 ms (3600 ticks)
	frame := func(i int, at time.Duration) []rtpPkt {
		base := uint16(i * 3)
		ts := uint32(i * 3600)
		return []rtpPkt{{base, ts, false, at}, {base + 1, ts, false, at}, {base + 2, ts, true, at}}
	}
	var clean []rtpPkt
	for i := 0; i < 10; i++ {
		clean = append(clean, frame(i, time.Duration(i)*40*time.Millisecond)...)
	}
	drop := func(p []rtpPkt, seqs ...uint16) []rtpPkt {
		var out []rtpPkt
	next:
		for _, x := range p {
			for _, s := range seqs {
				if x.seq == s {
					continue next
				}
			}
			out = append(out, x)
		}
		return out
	}
	swap := func(p []rtpPkt, i, j int) []rtpPkt {
		q := append([]rtpPkt(nil), p...)
		q[i], q[j] = q[j], q[i]
		return q
	}
	jittered := append([]rtpPkt(nil), clean...)
	for i := range jittered {
		if (i/3)%2 == 1 {
			jittered[i].at += 10 * time.Millisecond
		}
	}
	cases := []struct {
		name                      string
		pkts                      []rtpPkt
		received, lost, reordered uint64
		complete, incomplete      uint64
		jitter                    time.Duration // lower bound
		maxJitter                 time.Duration
	}{
		{"clean", clean, 30, 0, 0, 10, 0, 0, time.Microsecond},
		{"one lost mid-frame", drop(clean, 4), 29, 1, 0, 9, 1, 0, time.Microsecond},
		{"marker lost", drop(clean, 5), 29, 1, 0, 8, 2, 0, time.Microsecond}, // the lost packet could be either frame's
		{"first packet of a frame lost", drop(clean, 6), 29, 1, 0, 9, 1, 0, time.Microsecond},
		{"marker and next first lost", drop(clean, 5, 6), 28, 2, 0, 8, 2, 0, time.Microsecond},
		{"reordered in frame", swap(clean, 3, 4), 30, 0, 1, 10, 0, 0, time.Microsecond},
		{"reordered across frames", swap(clean, 5, 6), 30, 0, 1, 10, 0, 0, time.Microsecond},
		{"jitter", jittered, 30, 0, 0, 10, 0, time.Millisecond, 10 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newRTPStats(90000)
			for _, p := range c.pkts {
				s.add(p.seq, p.ts, p.marker, p.at)
			}
			s.judgeFrames(true)
			if s.received != c.received || s.lost() != c.lost || s.reordered != c.reordered {
				t.Fatalf("received %d lost %d reordered %d, want %d %d %d", s.received, s.lost(), s.reordered, c.received, c.lost, c.reordered)
			}
			if s.complete != c.complete || s.incomplete != c.incomplete {
				t.Fatalf("frames complete %d incomplete %d, want %d %d", s.complete, s.incomplete, c.complete, c.incomplete)
			}
			if j := s.jitterDuration(); j < c.jitter || j > c.maxJitter {
				t.Fatalf("jitter %v not in [%v, %v]", j, c.jitter, c.maxJitter)
			}
		})
	}
}

func TestRTPStatsWrapAndDuplicates(t *testing.T) {
	s := newRTPStats(90000)
	seq := uint16(65530)
	for i := 0; i < 20; i++ {
		s.add(seq, uint32(i*3000), true, time.Duration(i)*33*time.Millisecond)
		if i == 7 {
			s.add(seq, uint32(i*3000), true, time.Duration(i)*33*time.Millisecond) // duplicate
		}
		seq++
	}
	s.judgeFrames(true)
	if s.received != 20 || s.lost() != 0 || s.duplicates != 1 || s.cycles != 1 {
		t.Fatalf("received %d lost %d dup %d cycles %d", s.received, s.lost(), s.duplicates, s.cycles)
	}
	if s.complete != 20 {
		t.Fatalf("complete %d", s.complete)
	}
	e, r, frac := s.interval()
	if e != 20 || r != 20 || frac != 0 {
		t.Fatalf("interval %d %d %d", e, r, frac)
	}
	// a gap of 10 in the next interval: fraction 10/20 = 128/256
	for i := 0; i < 20; i++ {
		if i >= 5 && i < 15 {
			seq++
			continue
		}
		s.add(seq, uint32((20+i)*3000), true, time.Second)
		seq++
	}
	e, r, frac = s.interval()
	if e != 20 || r != 10 || frac != 128 {
		t.Fatalf("interval %d %d %d, want 20 10 128", e, r, frac)
	}
}
