package httpapi

import (
	"context"
	"net"
)

// notifyDial calls onDial (if set) as each dial of dial begins, and
// onFailed (if set) with the error of each dial that fails: net/http's
// Transport dials only for a new connection, so onDial counts connection
// attempts, failed ones included.
func notifyDial(dial DialFunc, onDial func(), onFailed func(error)) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if onDial != nil {
			onDial()
		}
		c, err := dial(ctx, network, addr)
		if err != nil && onFailed != nil {
			onFailed(err)
		}
		return c, err
	}
}
