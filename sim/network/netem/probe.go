package netem

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Backend names which link backend a run uses.
type Backend string

// Backends.
const (
	Userland Backend = "userland"
	Kernel   Backend = "netem"
)

// ProbeError says why the kernel backend cannot run here.
type ProbeError struct {
	Step   string // what was tried
	Reason string // what is missing
	Err    error
}

func (e *ProbeError) Error() string {
	return fmt.Sprintf("netem backend unavailable: %s (%v)", e.Reason, e.Err)
}

func (e *ProbeError) Unwrap() error { return e.Err }

// Probe checks that the kernel backend can run: it creates a scratch
// namespace, adds a netem qdisc to its loopback and deletes the namespace.
// A nil error means ip, tc, the privilege and sch_netem are all there.
func Probe(ctx context.Context, r Runner) error {
	ns := "fleetsim-probe-" + strconv.Itoa(os.Getpid())
	steps := []struct {
		c      Command
		reason string
	}{
		{cmd("ip", "netns", "add", ns), "cannot create network namespaces (needs root or CAP_NET_ADMIN, and iproute2's ip)"},
		{cmd("tc", "-n", ns, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"), "the kernel has no sch_netem, or tc is missing"},
	}
	var failed *ProbeError
	for i, s := range steps {
		if _, err := r.Run(ctx, s.c); err != nil {
			failed = &ProbeError{Step: s.c.String(), Reason: classify(err, s.reason), Err: err}
			if i == 0 {
				return failed // nothing to clean
			}
			break
		}
	}
	if _, err := r.Run(ctx, cmd("ip", "netns", "del", ns)); err != nil && failed == nil {
		failed = &ProbeError{Step: "ip netns del " + ns, Reason: "cannot delete the probe namespace", Err: err}
	}
	if failed != nil {
		return failed
	}
	return nil
}

// classify refines a step's reason from well-known error texts.
func classify(err error, fallback string) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "executable file not found"):
		return "iproute2 (ip, tc) is not installed"
	case strings.Contains(s, "Operation not permitted"), strings.Contains(s, "Permission denied"):
		return "not permitted: run as root or with CAP_NET_ADMIN"
	case strings.Contains(s, "qdisc kind is unknown"):
		return "the kernel has no sch_netem (module not built or not loadable)"
	}
	return fallback
}

// Choose returns Kernel when want is Kernel and Probe passes; otherwise
// Userland, with a message saying why when the kernel backend was wanted.
func Choose(ctx context.Context, r Runner, want Backend) (Backend, string) {
	if want != Kernel {
		return Userland, ""
	}
	if err := Probe(ctx, r); err != nil {
		return Userland, err.Error() + "; falling back to the userland link model"
	}
	return Kernel, "netem backend available"
}
