package runner

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/fleetsim/fleetsim/sim/network/memnet"
)

// Transports between the devices and the embedded cloud (Options.Transport).
const (
	// TransportMemory: the embedded cloud listens on an in-memory network
	// (sim/network/memnet) and the devices' TCP connections to it never
	// cross the kernel. The default for the embedded target.
	TransportMemory = "memory"
	// TransportTCP: real loopback sockets.
	TransportTCP = "tcp"
)

// checkTransport validates Options.Transport ("" is the default).
func checkTransport(t string) error {
	switch t {
	case "", TransportMemory, TransportTCP:
		return nil
	}
	return fmt.Errorf("runner: transport %q: want %s or %s", t, TransportMemory, TransportTCP)
}

// transport is the transport this run uses: external targets are reached
// over real sockets whatever Options.Transport says (and so is an embedded
// cloud that only relays their live view).
func (r *run) transport() string {
	if r.external() || r.httpTarget() || r.o.Transport == TransportTCP {
		return TransportTCP
	}
	return TransportMemory
}

// memoryDial is the devices' dial when the cloud listens on mem: TCP goes
// to the in-memory network, datagrams (live view) to real sockets.
func memoryDial(mem *memnet.Network) func(ctx context.Context, network, address string) (net.Conn, error) {
	var nd net.Dialer
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if strings.HasPrefix(network, "tcp") {
			return mem.Dial(ctx, network, address)
		}
		return nd.DialContext(ctx, network, address)
	}
}
