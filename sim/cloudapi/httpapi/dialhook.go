package httpapi

import (
	"context"
	"net"
)

// notifyDial calls onDial with the outcome of each dial of dial: net/http's
// Transport dials only for a new connection, so onDial sees every
// connection attempt, failed ones included.
func notifyDial(dial DialFunc, onDial func(error)) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		onDial(err)
		return c, err
	}
}
