package network

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

// OpportunitySize is the bytes one Mahimahi delivery opportunity carries.
const OpportunitySize = 1500

// Limits of ParseTrace: input beyond them is an error, never an unbounded
// allocation.
const (
	MaxTraceOpportunities = 1 << 22          // lines with a timestamp
	MaxTraceMillis        = 1<<32 - 1        // largest timestamp (≈ 49.7 days)
	maxTraceLine          = 256              // bytes per line
	maxTraceBytes         = 64 * 1024 * 1024 // whole input
)

// Trace is a Mahimahi delivery-opportunity trace: each entry is the
// millisecond at which one 1500-byte packet may be delivered; repeated
// timestamps are several opportunities in the same millisecond. The trace
// repeats with period equal to its last timestamp.
type Trace struct {
	ms []uint32
}

// NewTrace builds a trace from timestamps in milliseconds (non-decreasing,
// the last one > 0).
func NewTrace(ms []uint32) (*Trace, error) {
	if len(ms) == 0 {
		return nil, fmt.Errorf("trace: no delivery opportunities")
	}
	for i := 1; i < len(ms); i++ {
		if ms[i] < ms[i-1] {
			return nil, fmt.Errorf("trace: entry %d: timestamp %d ms goes back in time (previous %d ms)", i+1, ms[i], ms[i-1])
		}
	}
	if ms[len(ms)-1] == 0 {
		return nil, fmt.Errorf("trace: the last timestamp is the period and must be > 0")
	}
	return &Trace{ms: ms}, nil
}

// ParseTrace reads a trace: one decimal millisecond timestamp per line.
// Blank lines and lines starting with '#' are ignored (an extension of the
// Mahimahi format that lets a file state its origin).
func ParseTrace(r io.Reader) (*Trace, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxTraceBytes+1))
	sc.Buffer(make([]byte, 0, maxTraceLine), maxTraceLine)
	var ms []uint32
	line, read := 0, 0
	for sc.Scan() {
		line++
		read += len(sc.Bytes()) + 1
		if read > maxTraceBytes {
			return nil, fmt.Errorf("trace: larger than %d bytes", maxTraceBytes)
		}
		t := bytes.TrimSpace(sc.Bytes())
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		v, err := strconv.ParseUint(string(t), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("trace: line %d: %q is not a millisecond timestamp", line, clip(t))
		}
		if v > MaxTraceMillis {
			return nil, fmt.Errorf("trace: line %d: timestamp %d ms is beyond %d ms", line, v, uint64(MaxTraceMillis))
		}
		if n := len(ms); n > 0 && uint32(v) < ms[n-1] {
			return nil, fmt.Errorf("trace: line %d: timestamp %d ms goes back in time (previous %d ms)", line, v, ms[n-1])
		}
		if len(ms) == MaxTraceOpportunities {
			return nil, fmt.Errorf("trace: more than %d delivery opportunities", MaxTraceOpportunities)
		}
		ms = append(ms, uint32(v))
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, fmt.Errorf("trace: line %d: longer than %d bytes", line+1, maxTraceLine)
		}
		return nil, fmt.Errorf("trace: %w", err)
	}
	return NewTrace(ms)
}

func clip(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "…"
	}
	return string(b)
}

// WriteTo writes the trace in Mahimahi format.
func (t *Trace) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var n int64
	var buf [12]byte
	for _, v := range t.ms {
		b := strconv.AppendUint(buf[:0], uint64(v), 10)
		b = append(b, '\n')
		k, err := bw.Write(b)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// Len is the number of opportunities in one period.
func (t *Trace) Len() int { return len(t.ms) }

// Period is the time after which the trace repeats.
func (t *Trace) Period() time.Duration { return time.Duration(t.ms[len(t.ms)-1]) * time.Millisecond }

// MeanRate is the average capacity over one period.
func (t *Trace) MeanRate() units.Bitrate {
	return units.Bitrate(float64(len(t.ms)*OpportunitySize*8) / t.Period().Seconds())
}

// at is the offset from the trace start of opportunity j (j counts across
// periods).
func (t *Trace) at(j int64) time.Duration {
	n := int64(len(t.ms))
	return time.Duration(j/n)*t.Period() + time.Duration(t.ms[j%n])*time.Millisecond
}

// first is the index of the first opportunity at or after offset d ≥ 0.
func (t *Trace) first(d time.Duration) int64 {
	n := int64(len(t.ms))
	p := t.Period()
	k := int64(d / p)
	rem := d - time.Duration(k)*p
	// Opportunities at the period boundary belong to both ends; the search
	// stays within this period and spills into the next one if needed.
	i := sort.Search(len(t.ms), func(i int) bool {
		return time.Duration(t.ms[i])*time.Millisecond >= rem
	})
	return k*n + int64(i)
}

// TraceLoader loads traces by path; a fleet shares one so that 5,000 links
// on the same trace hold one copy.
type TraceLoader func(path string) (*Trace, error)

// TraceCache returns a TraceLoader that reads files relative to dir (when
// not absolute) and keeps each parsed trace.
func TraceCache(dir string) TraceLoader {
	var mu sync.Mutex
	cache := map[string]*Trace{}
	return func(path string) (*Trace, error) {
		if dir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		mu.Lock()
		defer mu.Unlock()
		if t, ok := cache[path]; ok {
			return t, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t, err := ParseTrace(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cache[path] = t
		return t, nil
	}
}
