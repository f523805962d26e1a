package procs

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/fleetsim/fleetsim/sim/clock"
	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

// mapsVectors drive TestHugeCandidates and seed FuzzHugeCandidates.
var mapsVectors = []struct {
	name    string
	in      string
	want    []mapping
	errPart string
}{
	{"empty", "", nil, ""},
	{"go heap arena", "c000000000-c004000000 rw-p 00000000 00:00 0 \n", []mapping{{0xc000000000, 0xc004000000}}, ""},
	{"small anonymous", "7f0000000000-7f0000200000 rw-p 00000000 00:00 0\n", nil, ""},
	{"exactly the minimum", "7f0000000000-7f0000400000 rw-p 00000000 00:00 0\n", []mapping{{0x7f0000000000, 0x7f0000400000}}, ""},
	{"file mapping", "7f0000000000-7f0010000000 rw-p 00000000 08:01 1234 /usr/lib/libc.so.6\n", nil, ""},
	{"the stack", "7ffc00000000-7ffc10000000 rw-p 00000000 00:00 0 [stack]\n", nil, ""},
	{"read only", "7f0000000000-7f0010000000 r--p 00000000 00:00 0\n", nil, ""},
	{"shared", "7f0000000000-7f0010000000 rw-s 00000000 00:01 5 \n", nil, ""},
	{"several", "5572c1e9a000-5572c1e9c000 r--p 00000000 08:01 5 /usr/bin/x\n" +
		"261217800000-261218000000 rw-p 00000000 00:00 0 \n" +
		"261218000000-261218800000 ---p 00000000 00:00 0 \n" +
		"261218800000-261219000000 rw-p 00000000 00:00 0 \n",
		[]mapping{{0x261217800000, 0x261218000000}, {0x261218800000, 0x261219000000}}, ""},
	{"short line", "c000000000-c004000000 rw-p\n", nil, "fields"},
	{"no dash", "c000000000c004000000 rw-p 00000000 00:00 0\n", nil, "address range"},
	{"not hex", "zz-c004000000 rw-p 00000000 00:00 0\n", nil, "address range"},
	{"backwards", "c004000000-c000000000 rw-p 00000000 00:00 0\n", nil, "address range"},
}

func TestHugeCandidates(t *testing.T) {
	for _, v := range mapsVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := hugeCandidates(strings.NewReader(v.in))
			if v.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), v.errPart) {
					t.Fatalf("error %v, want one containing %q", err, v.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(v.want) {
				t.Fatalf("got %v, want %v", got, v.want)
			}
			for i := range got {
				if got[i] != v.want[i] {
					t.Fatalf("got %v, want %v", got, v.want)
				}
			}
		})
	}
}

func FuzzHugeCandidates(f *testing.F) {
	for _, v := range mapsVectors {
		f.Add(v.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := hugeCandidates(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.end < m.start || m.end-m.start < minHugeMapping {
				t.Fatalf("candidate %x-%x below the minimum", m.start, m.end)
			}
		}
	})
}

// On this machine's kernel the heap's mappings come out advised: a large
// allocation's mapping carries the hg flag in /proc/self/smaps.
func TestHugePagesAdvisesTheHeap(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("kernel without transparent huge pages")
	}
	defer goleak.VerifyNone(t)
	buf := make([]byte, 64<<20)
	buf[0] = 1
	addr := uintptr(unsafe.Pointer(&buf[0]))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { HugePages(ctx, clock.NewReal(), time.Hour); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !advised(t, addr) {
		if time.Now().After(deadline) {
			t.Fatal("the mapping of a 64 MiB allocation was not advised")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	buf[len(buf)-1] = 1 // keep it alive until now
}

// advised reports whether the mapping holding addr has VM_HUGEPAGE.
func advised(t *testing.T, addr uintptr) bool {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if ms, err := hugeCandidates(strings.NewReader(line + "\n")); err == nil && strings.Contains(line, " rw-p ") {
			in = false
			for _, m := range ms {
				in = in || (m.start <= addr && addr < m.end)
			}
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.Contains(line, " hg")
		}
	}
	return false
}

// The collapsed set against a bitmap model: whatever ranges are added, it
// stays sorted and disjoint, missing returns exactly the uncovered parts of
// a range, and after adding them the range is covered.
func TestCollapsedModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		const span = 64
		var c collapsed
		var model [span]bool
		for range rapid.IntRange(0, 30).Draw(rt, "ops") {
			a := uintptr(rapid.IntRange(0, span-1).Draw(rt, "start"))
			b := uintptr(rapid.IntRange(int(a)+1, span).Draw(rt, "end"))
			m := mapping{a, b}
			var got [span]bool
			for _, p := range c.missing(m) {
				if p.start >= p.end || p.start < m.start || p.end > m.end {
					rt.Fatalf("missing part %v outside %v", p, m)
				}
				for i := p.start; i < p.end; i++ {
					if got[i] {
						rt.Fatalf("missing parts overlap at %d", i)
					}
					got[i] = true
				}
				c.add(p)
			}
			for i := m.start; i < m.end; i++ {
				if got[i] == model[i] {
					rt.Fatalf("at %d: missing says %v, model covered %v", i, got[i], model[i])
				}
				model[i] = true
			}
			for i, r := range c {
				if r.start >= r.end || (i > 0 && c[i-1].end >= r.start) {
					rt.Fatalf("set not sorted, disjoint and merged: %v", c)
				}
			}
			if len(c.missing(m)) != 0 {
				rt.Fatalf("%v still missing after adding it: %v", m, c)
			}
		}
	})
}
