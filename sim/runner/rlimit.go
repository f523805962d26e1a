package runner

import (
	"fmt"
	"io"
	"syscall"
)

// raiseFileLimit lifts RLIMIT_NOFILE to what devices devices need (each has
// its connections and the embedded cloud the other ends) and says so when
// it cannot.
func raiseFileLimit(devices int, out io.Writer) {
	need := uint64(devices)*6 + 1024
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur >= need {
		return
	}
	want := need
	if want > lim.Max {
		want = lim.Max
	}
	lim.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || want < need {
		fmt.Fprintf(out, "fleetsim: open-file limit is %d, %d devices may need %d: raise it (ulimit -n) or run fewer devices\n", want, devices, need)
	}
}
