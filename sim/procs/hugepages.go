package procs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// minHugeMapping is the smallest mapping HugePages advises: two huge pages.
const minHugeMapping = 4 << 20

const (
	madvHugepage = 14 // MADV_HUGEPAGE
	madvCollapse = 25 // MADV_COLLAPSE (Linux 6.1)
)

// maxSeen bounds the address ranges HugePages remembers as collapsed.
const maxSeen = 4096

// collapsed is the set of address ranges already collapsed, sorted and
// disjoint. Mappings merge and split as the heap grows (an arena next to an
// advised one joins it): only the parts not collapsed yet are.
type collapsed []mapping

// missing returns the parts of m not in the set.
func (c collapsed) missing(m mapping) []mapping {
	var out []mapping
	at := m.start
	for _, r := range c {
		if r.end <= at {
			continue
		}
		if r.start >= m.end {
			break
		}
		if r.start > at {
			out = append(out, mapping{at, r.start})
		}
		at = max(at, r.end)
		if at >= m.end {
			return out
		}
	}
	if at < m.end {
		out = append(out, mapping{at, m.end})
	}
	return out
}

// add puts m into the set, merging neighbours.
func (c *collapsed) add(m mapping) {
	var out collapsed
	placed := false
	for _, r := range *c {
		switch {
		case r.end < m.start:
			out = append(out, r)
		case r.start > m.end:
			if !placed {
				out = append(out, m)
				placed = true
			}
			out = append(out, r)
		default: // touching or overlapping: merge into m
			m = mapping{min(m.start, r.start), max(m.end, r.end)}
		}
	}
	if !placed {
		out = append(out, m)
	}
	if len(out) > maxSeen {
		out = collapsed{m}
	}
	*c = out
}

// mapping is one line of /proc/self/maps that HugePages would advise.
type mapping struct{ start, end uintptr }

// hugeCandidates parses /proc/PID/maps and returns the anonymous private
// read-write mappings of at least minHugeMapping bytes.
func hugeCandidates(r io.Reader) ([]mapping, error) {
	var out []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 {
			return nil, fmt.Errorf("maps line %d: %d fields, want at least 5", line, len(f))
		}
		if len(f) > 5 || string(f[1]) != "rw-p" { // a path or [stack]/[heap]: not an anonymous mapping
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			return nil, fmt.Errorf("maps line %d: address range %q", line, f[0])
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end < start {
			return nil, fmt.Errorf("maps line %d: address range %q", line, f[0])
		}
		if end-start >= minHugeMapping {
			out = append(out, mapping{uintptr(start), uintptr(end)})
		}
	}
	return out, sc.Err()
}

// adviseHuge asks for huge pages on the process's candidate mappings. The parts of them not collapsed before
// are collapsed: the pages the heap touched before the advice are small.
func adviseHuge(done *collapsed) error {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return err
	}
	defer f.Close()
	ms, err := hugeCandidates(f)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, madvHugepage); e != 0 {
			// EINVAL: a kernel without transparent huge pages; a
			// mapping gone meanwhile (ENOMEM): skip it
			if e == syscall.EINVAL {
				return e
			}
			continue
		}
		for _, p := range done.missing(m) {
			// best effort: a kernel before 6.1 does not know it, memory
			// may be short; the advice alone still applies to new pages
			syscall.Syscall(syscall.SYS_MADVISE, p.start, p.end-p.start, madvCollapse)
			done.add(p)
		}
	}
	return nil
}

// HugePages keeps the process's heap on transparent huge pages until ctx
// ends: every interval it advises (MADV_HUGEPAGE) the large anonymous
// read-write mappings (the Go heap's arenas and the like), and collapses
// (MADV_COLLAPSE, Linux 6.1) the parts not collapsed before, whose pages the
// heap touched before the advice came and are small. It returns at once
// when the kernel cannot do huge pages.
//
// A fleet's state is a few hundred kilobytes per camera spread over a heap
// of gigabytes, and every frame touches a dozen of its cold cache lines:
// with 4 KiB pages each of those is a TLB miss too. Linux backs memory with
// 2 MiB pages where the process asks, the usual system setting ("madvise"
// in /sys/kernel/mm/transparent_hugepage/enabled), and the Go runtime does
// not ask. Measured on the 2-core bench machine, 5,000 cameras against the
// embedded cloud, alternating runs of the same binary: 362–384 µs CPU per
// camera-second with 4 KiB pages, 320–347 µs with the heap advised (about
// −10 %; 1.2 of 1.4 GB resident on huge pages), RSS per camera unchanged
// within noise (274–292 KB). Measured again later on a freshly booted
// machine of the same kind, the CPU difference was gone (47–50 s of CPU
// per 47 s run either way) and the cost showed: while the heap grows, each
// collapse copies 2 MiB with the process's page tables locked and each
// huge-page fault may compact memory first, so every thread that touches
// memory meanwhile waits — generator lag p99 22–27 ms with huge pages
// against 2.5–2.9 ms without, 8–11 % of the first 20 s's frames over
// 10 ms late against none. So fleetsim run calls it only when asked
// (--huge-pages). Advice changes only how the kernel backs memory, never
// what it holds; where the system says "never" it has no effect.
func HugePages(ctx context.Context, clk clock.Clock, interval time.Duration) {
	var done collapsed
	if err := adviseHuge(&done); err != nil {
		return
	}
	tk := clk.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C():
			if err := adviseHuge(&done); err != nil {
				return
			}
		}
	}
}
