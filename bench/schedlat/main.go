// Command schedlat reads a Go execution trace of a fleetsim run
// (FLEETSIM_TRACE=trace.out FLEETSIM_TRACE_AFTER=20s FLEETSIM_TRACE_FOR=10s
// fleetsim run …) and says how long the clock's shard workers — the
// goroutines whose stacks hold -match — waited to run, and why:
//
//   - after a wake-up (timer, lock, channel): by what they were blocked on;
//   - after being preempted or yielding (Running → Runnable): by where,
//     split by whether a GC mark phase was running;
//
// next to the scheduling delay of every other goroutine, the longest run
// queue, and the GC mark phases. Generator lag is the workers' lateness:
// this is where it comes from.
//
// It is its own module (golang.org/x/exp/trace is a dependency of this
// diagnostic only): cd bench/schedlat && go run . trace.out
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	match := flag.String("match", "clock.(*shard).work", "a function in the stacks of the goroutines to follow")
	long := flag.Duration("long", 0, "also list every wait of a followed goroutine longer than this (0: none)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: schedlat [-match FUNC] [-long D] trace.out")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	if err := run(f, os.Stdout, *match, *long); err != nil {
		fmt.Fprintln(os.Stderr, "schedlat:", err)
		os.Exit(1)
	}
}

type goState struct {
	followed   bool
	runnableAt trace.Time
	preempted  bool   // became runnable from running
	inGC       bool   // ... while a mark phase ran
	why        string // what it last blocked on, or where it was preempted
}

type stats struct {
	span, gc       time.Duration
	gcPhases       int
	maxRunnable    int
	followed       int
	woken, preempt map[string][]time.Duration // followed goroutines, by cause
	others         []time.Duration
	longWaits      []string
}

func run(r io.Reader, w io.Writer, match string, long time.Duration) error {
	tr, err := trace.NewReader(r)
	if err != nil {
		return err
	}
	st := stats{woken: map[string][]time.Duration{}, preempt: map[string][]time.Duration{}}
	gs := map[trace.GoID]*goState{}
	get := func(id trace.GoID) *goState {
		g := gs[id]
		if g == nil {
			g = &goState{}
			gs[id] = g
		}
		return g
	}
	var first, last, gcFrom trace.Time
	inGC := false
	runnable := 0
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if first == 0 {
			first = ev.Time()
		}
		last = ev.Time()
		switch ev.Kind() {
		case trace.EventRangeBegin:
			if strings.Contains(ev.Range().Name, "GC concurrent mark") {
				inGC, gcFrom = true, ev.Time()
			}
			continue
		case trace.EventRangeEnd:
			if strings.Contains(ev.Range().Name, "GC concurrent mark") && inGC {
				inGC = false
				st.gc += time.Duration(ev.Time() - gcFrom)
				st.gcPhases++
			}
			continue
		case trace.EventStateTransition:
		default:
			continue
		}
		tx := ev.StateTransition()
		if tx.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		g := get(tx.Resource.Goroutine())
		from, to := tx.Goroutine()
		// tx.Stack is the goroutine's own stack when it stops running (an
		// event's Stack is its emitter's: the waker's for a wake-up)
		if !g.followed && from == trace.GoRunning && hasFunc(tx.Stack, match) {
			g.followed = true
			st.followed++
		}
		switch {
		case to == trace.GoRunnable:
			runnable++
			st.maxRunnable = max(st.maxRunnable, runnable)
			g.runnableAt, g.preempted, g.inGC = ev.Time(), from == trace.GoRunning, inGC
			if g.preempted {
				g.why = where(tx.Stack, 4)
			}
		case from == trace.GoRunnable:
			runnable--
		}
		if from == trace.GoRunning && to == trace.GoWaiting {
			g.why = tx.Reason + " < " + where(tx.Stack, 2)
		}
		if to != trace.GoRunning || from != trace.GoRunnable || g.runnableAt == 0 {
			continue
		}
		d := time.Duration(ev.Time() - g.runnableAt)
		g.runnableAt = 0
		if !g.followed {
			st.others = append(st.others, d)
			continue
		}
		key := g.why
		if g.preempted && g.inGC {
			key = "[in GC mark] " + key
		}
		if g.preempted {
			st.preempt[key] = append(st.preempt[key], d)
		} else {
			st.woken[key] = append(st.woken[key], d)
		}
		if long > 0 && d > long {
			st.longWaits = append(st.longWaits, fmt.Sprintf("%v at +%v (gc %v): %s", d.Round(time.Microsecond),
				time.Duration(ev.Time()-first).Round(time.Millisecond), g.inGC, key))
		}
	}
	st.span = time.Duration(last - first)
	st.print(w)
	return nil
}

func (st *stats) print(w io.Writer) {
	fmt.Fprintf(w, "trace %v, %d GC mark phases (%v), longest run queue %d, followed goroutines %d\n",
		st.span.Round(time.Millisecond), st.gcPhases, st.gc.Round(time.Millisecond), st.maxRunnable, st.followed)
	section := func(title string, m map[string][]time.Duration) {
		fmt.Fprintln(w, title)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return total(m[keys[i]]) > total(m[keys[j]]) })
		for _, k := range keys {
			fmt.Fprintf(w, "  %s  %s\n", summary(m[k]), k)
		}
	}
	section("followed, runnable after a wake-up, by what they had blocked on:", st.woken)
	section("followed, runnable after being preempted or yielding, by where:", st.preempt)
	fmt.Fprintf(w, "every other goroutine: %s\n", summary(st.others))
	for _, l := range st.longWaits {
		fmt.Fprintln(w, "  long wait", l)
	}
}

func total(d []time.Duration) (t time.Duration) {
	for _, x := range d {
		t += x
	}
	return t
}

// summary is "n=… total=… p50=… p99=… max=…" of waits.
func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "n=0"
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))].Round(time.Microsecond) }
	return fmt.Sprintf("n=%d total=%v p50=%v p99=%v max=%v", len(s), total(s).Round(time.Microsecond), q(.5), q(.99), q(1))
}

func hasFunc(st trace.Stack, fn string) bool {
	for f := range st.Frames() {
		if strings.Contains(f.Func, fn) {
			return true
		}
	}
	return false
}

// where is the innermost n frames of st, short names, innermost first.
func where(st trace.Stack, n int) string {
	var b strings.Builder
	for f := range st.Frames() {
		if n == 0 {
			break
		}
		if b.Len() > 0 {
			b.WriteString(" < ")
		}
		b.WriteString(f.Func[strings.LastIndex(f.Func, "/")+1:])
		n--
	}
	return b.String()
}
