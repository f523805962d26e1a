package network

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// traceVectors drive the decode tests, the encode tests and the fuzz seeds.
var traceVectors = []struct {
	name   string
	in     string
	ms     []uint32 // nil: the input is an error
	errHas string
	canon  bool // in is exactly what WriteTo produces
}{
	{name: "one", in: "1\n", ms: []uint32{1}, canon: true},
	{name: "repeated", in: "0\n0\n5\n5\n5\n10\n", ms: []uint32{0, 0, 5, 5, 5, 10}, canon: true},
	{name: "comments and blanks", in: "# synthetic\n\n 3 \n7\r\n", ms: []uint32{3, 7}},
	{name: "no final newline", in: "2\n4", ms: []uint32{2, 4}},
	{name: "max", in: "4294967295\n", ms: []uint32{4294967295}, canon: true},
	{name: "empty", in: "", errHas: "no delivery opportunities"},
	{name: "only comments", in: "# x\n", errHas: "no delivery opportunities"},
	{name: "zero period", in: "0\n0\n", errHas: "must be > 0"},
	{name: "backwards", in: "5\n3\n", errHas: "line 2: timestamp 3 ms goes back"},
	{name: "negative", in: "-1\n", errHas: "line 1"},
	{name: "float", in: "1.5\n", errHas: "not a millisecond timestamp"},
	{name: "too big", in: "4294967296\n", errHas: "beyond"},
	{name: "long line", in: strings.Repeat("1", 300) + "\n", errHas: "longer than"},
	{name: "garbage", in: "\x00\xff\n", errHas: "line 1"},
}

func TestParseTrace(t *testing.T) {
	for _, v := range traceVectors {
		t.Run(v.name, func(t *testing.T) {
			tr, err := ParseTrace(strings.NewReader(v.in))
			if v.ms == nil {
				if err == nil || !strings.Contains(err.Error(), v.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, v.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.ms) != len(v.ms) {
				t.Fatalf("got %v, want %v", tr.ms, v.ms)
			}
			for i := range v.ms {
				if tr.ms[i] != v.ms[i] {
					t.Fatalf("got %v, want %v", tr.ms, v.ms)
				}
			}
		})
	}
}

func TestWriteTrace(t *testing.T) {
	for _, v := range traceVectors {
		if v.ms == nil {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			tr, err := NewTrace(v.ms)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if _, err := tr.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
			if v.canon && b.String() != v.in {
				t.Fatalf("wrote %q, want %q", b.String(), v.in)
			}
			back, err := ParseTrace(&b)
			if err != nil || len(back.ms) != len(v.ms) {
				t.Fatalf("round trip: %v, %v", back, err)
			}
		})
	}
}

func FuzzParseTrace(f *testing.F) {
	for _, v := range traceVectors {
		f.Add([]byte(v.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := ParseTrace(bytes.NewReader(in))
		if err != nil {
			return
		}
		if tr.Len() == 0 || tr.Period() <= 0 {
			t.Fatalf("accepted a trace with %d opportunities and period %v", tr.Len(), tr.Period())
		}
		var b bytes.Buffer
		tr.WriteTo(&b)
		back, err := ParseTrace(&b)
		if err != nil || back.Len() != tr.Len() {
			t.Fatalf("round trip failed: %v", err)
		}
		// The capacity stage must make progress on any accepted trace.
		s := NewTraceCapacity(tr, time.Unix(0, 0), 0)
		p := Packet{Size: 3000, At: time.Unix(0, 0)}
		s.Apply(&p)
		if p.At.Before(time.Unix(0, 0)) {
			t.Fatal("packet left before it arrived")
		}
	})
}

func TestTraceCapacityWraps(t *testing.T) {
	tr, _ := NewTrace([]uint32{0, 0, 5, 10})
	start := time.Unix(100, 0)
	s := NewTraceCapacity(tr, start, 0)
	var got []time.Duration
	for i := 0; i < 6; i++ {
		p := Packet{Size: 1500, At: start}
		s.Apply(&p)
		got = append(got, p.At.Sub(start))
	}
	want := []time.Duration{0, 0, 5, 10, 10, 10}
	for i := range want {
		want[i] *= time.Millisecond
	}
	// Period 10 ms: opportunities at 0,0,5,10 then 10,10,15,20 …
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("departures %v, want %v", got, want)
		}
	}
	if b := s.Backlog(start); b != 6*1500 {
		t.Fatalf("backlog %d, want %d", b, 6*1500)
	}
	// Unused capacity is lost: a packet at 100 ms takes the opportunity at 100 ms.
	p := Packet{Size: 100, At: start.Add(100 * time.Millisecond)}
	s.Apply(&p)
	if d := p.At.Sub(start); d != 100*time.Millisecond {
		t.Fatalf("idle packet left at %v, want 100ms", d)
	}
}
