package httpapi

import (
	"context"
	"net"
)

// notifyDial calls onDial as each dial of dial begins: net/http's
// Transport dials only for a new connection, so onDial counts connection
// attempts, failed ones included.
func notifyDial(dial DialFunc, onDial func()) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		onDial()
		return dial(ctx, network, addr)
	}
}
