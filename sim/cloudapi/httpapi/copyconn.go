package httpapi

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/fleetsim/fleetsim/sim/network"
)

// copyConn is a dialled connection whose ReadFrom copies through a pooled
// buffer. net/http writes a request body with io.Copy to the connection
// (bufio.Writer.ReadFrom hands the body to it once the headers are out);
// for a connection without ReadFrom — a simulated link's — io.Copy
// allocates a buffer of up to 32 KiB per request, which for a fleet
// uploading a slice per camera every few seconds was most of the client's
// garbage. The bytes written are the same.
type copyConn struct{ net.Conn }

// copyBufSize is the size of the pooled copy buffers (io.Copy's own, and
// network.Conn.ReadFrom's reads).
const copyBufSize = network.ReadFromChunk

// copyBufs is shared by every Client: a device uploads a slice every few
// seconds, too seldom for a buffer of its own to survive in a pool.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// ReadFrom implements io.ReaderFrom: io.Copy's loop through a pooled
// buffer — or, on a simulated link's connection, the link's own ReadFrom,
// which reads straight into the buffers it queues (the same writes, one
// copy fewer).
func (c copyConn) ReadFrom(r io.Reader) (n int64, err error) {
	if lc, ok := c.Conn.(*network.Conn); ok {
		return lc.ReadFrom(r)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			w, werr := c.Conn.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
			if w != k {
				return n, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// pooledCopyDial wraps the connections of dial in copyConn.
func pooledCopyDial(dial DialFunc) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return copyConn{c}, nil
	}
}
