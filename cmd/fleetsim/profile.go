package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// Hidden profiling hooks for performance work (not a user-facing flag):
//
//	FLEETSIM_CPUPROFILE=cpu.pprof  CPU profile of the whole command
//	FLEETSIM_MEMPROFILE=heap.pprof heap profile (in-use and allocations) at its end
//	FLEETSIM_MEMPROFILE_AFTER=30s  ... or that long after the start instead
//	                               (the in-use heap mid-run, near its peak)
//
// Read them with `go tool pprof -top fleetsim cpu.pprof`.
const (
	envCPUProfile = "FLEETSIM_CPUPROFILE"
	envMemProfile = "FLEETSIM_MEMPROFILE"
	envMemAfter   = "FLEETSIM_MEMPROFILE_AFTER"
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
	var mu sync.Mutex // one heap profile, whichever comes first
	written := false
	writeOnce := func() {
		mu.Lock()
		defer mu.Unlock()
		if written {
			return
		}
		written = true
		if err := writeHeapProfile(path); err != nil {
			fmt.Fprintf(stderr, "fleetsim: %s: %v\n", envMemProfile, err)
		}
	}
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
