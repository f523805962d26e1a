package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

// Hidden profiling hooks for performance work (not a user-facing flag):
//
//	FLEETSIM_CPUPROFILE=cpu.pprof  CPU profile of the whole command
//	FLEETSIM_MEMPROFILE=heap.pprof heap profile (in-use and allocations) at its end
//	FLEETSIM_MEMPROFILE_AFTER=30s  ... or that long after the start instead
//	                               (the in-use heap mid-run, near its peak)
//	FLEETSIM_TRACE=trace.out       execution trace (scheduling latency: go tool trace)
//	FLEETSIM_TRACE_AFTER=20s       ... starting that long after the start (default 0)
//	FLEETSIM_TRACE_FOR=2s          ... for that long (default 2s: a large fleet's
//	                               trace grows by tens of MB a second)
//
// Read them with `go tool pprof -top fleetsim cpu.pprof`.
const (
	envCPUProfile = "FLEETSIM_CPUPROFILE"
	envMemProfile = "FLEETSIM_MEMPROFILE"
	envMemAfter   = "FLEETSIM_MEMPROFILE_AFTER"
	envTrace      = "FLEETSIM_TRACE"
	envTraceAfter = "FLEETSIM_TRACE_AFTER"
	envTraceFor   = "FLEETSIM_TRACE_FOR"
)

// profiled runs cmd under the profiles the environment asks for and returns
// its exit code. A profile that cannot be written is reported on stderr; it
// never changes the command's exit code.
func profiled(getenv func(string) string, stderr io.Writer, cmd func() int) int {
	if path := getenv(envCPUProfile); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "fleetsim: %s: %v\n", envCPUProfile, err)
		} else {
			defer func() {
				pprof.StopCPUProfile()
				_ = f.Close()
			}()
		}
	}
	if path := getenv(envTrace); path != "" {
		stop := startTrace(getenv, stderr, path)
		defer stop()
	}
	path := getenv(envMemProfile)
	var after time.Duration
	if a := getenv(envMemAfter); path != "" && a != "" {
		d, err := time.ParseDuration(a)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "fleetsim: %s: %q is not a positive duration; writing at the end\n", envMemAfter, a)
		} else {
			after = d
		}
	}
	writeOnce := sync.OnceFunc(func() { // one heap profile, whichever comes first
		if err := writeHeapProfile(path); err != nil {
			fmt.Fprintf(stderr, "fleetsim: %s: %v\n", envMemProfile, err)
		}
	})
	if after > 0 {
		t := time.AfterFunc(after, writeOnce)
		defer t.Stop()
	}
	code := cmd()
	if path != "" {
		writeOnce() // the command ended before the delay: profile at its end
	}
	return code
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // up-to-date in-use figures
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// startTrace writes an execution trace to path over the window the
// environment asks for; the returned func ends it early (at the command's
// end) and waits for the file to be closed.
func startTrace(getenv func(string) string, stderr io.Writer, path string) (stop func()) {
	dur := func(key string, def time.Duration) time.Duration {
		v := getenv(key)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fmt.Fprintf(stderr, "fleetsim: %s: %q is not a duration; using %v\n", key, v, def)
			return def
		}
		return d
	}
	after, span := dur(envTraceAfter, 0), dur(envTraceFor, 2*time.Second)
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "fleetsim: %s: %v\n", envTrace, err)
		return func() {}
	}
	var mu sync.Mutex
	started, ended := false, false
	end := func() {
		mu.Lock()
		defer mu.Unlock()
		if ended {
			return
		}
		ended = true
		if started {
			trace.Stop()
		}
		_ = f.Close()
	}
	begin := func() {
		mu.Lock()
		defer mu.Unlock()
		if ended {
			return
		}
		if err := trace.Start(f); err != nil {
			fmt.Fprintf(stderr, "fleetsim: %s: %v\n", envTrace, err)
			return
		}
		started = true
	}
	t1 := (*time.Timer)(nil)
	if after == 0 {
		begin()
	} else {
		t1 = time.AfterFunc(after, begin)
	}
	t2 := time.AfterFunc(after+span, end)
	return func() {
		if t1 != nil {
			t1.Stop()
		}
		t2.Stop()
		end()
	}
}
