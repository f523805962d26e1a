package netem

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

// Dialer opens sockets inside a network namespace: the calling goroutine's
// thread enters the namespace, creates and connects the socket, and
// returns; a socket keeps the namespace it was created in.
type Dialer struct {
	// Path of the namespace, e.g. /var/run/netns/fleetsim-c0.
	Path string
}

// DialerFor returns the Dialer of a cohort's namespace.
func DialerFor(c Cohort) Dialer { return Dialer{Path: "/var/run/netns/" + c.Namespace()} }

// DialContext dials inside the namespace (net.Dialer semantics).
func (d Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var c net.Conn
	err := d.in(func() error {
		var nd net.Dialer
		var err error
		c, err = nd.DialContext(ctx, network, address)
		return err
	})
	return c, err
}

// ListenPacket opens a datagram socket inside the namespace.
func (d Dialer) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := d.in(func() error {
		var lc net.ListenConfig
		var err error
		pc, err = lc.ListenPacket(ctx, network, address)
		return err
	})
	return pc, err
}

func (d Dialer) in(f func() error) error {
	target, err := os.Open(d.Path)
	if err != nil {
		return fmt.Errorf("netem: namespace: %w", err)
	}
	defer target.Close()
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netem: own namespace: %w", err)
	}
	defer orig.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netem: enter %s: %w", d.Path, err)
	}
	ferr := f()
	if err := setns(orig); err != nil {
		// The thread is stuck in the namespace: keep it locked so that it
		// ends with this goroutine instead of serving others.
		return fmt.Errorf("netem: leave %s: %w", d.Path, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

func setns(f *os.File) error {
	if sysSetns == 0 {
		return fmt.Errorf("setns: not wired for %s", runtime.GOARCH)
	}
	_, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0)
	if e != 0 {
		return e
	}
	return nil
}
