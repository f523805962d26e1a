package network

import (
	"net"
	"syscall"
)

// Idle reports whether the connection is open with nothing to read: the
// link has not ended it and its socket is idle (SocketIdle).
func (c *Conn) Idle() bool {
	if c.endErr("read") != nil {
		return false
	}
	return SocketIdle(c.raw)
}

// SocketIdle reports whether c is open with nothing to read, without
// waiting and without consuming anything: a keep-alive connection its peer
// has not closed. A connection with an Idle method (memnet's, a link's)
// answers itself; a socket is peeked (MSG_PEEK|MSG_DONTWAIT: EAGAIN is
// idle, EOF or bytes are not); any other is taken to be idle. A read with
// a deadline in the past cannot tell: Go fails it before it looks.
func SocketIdle(c net.Conn) bool {
	switch x := c.(type) {
	case interface{ Idle() bool }:
		return x.Idle()
	case syscall.Conn:
		rc, err := x.SyscallConn()
		if err != nil {
			return false
		}
		idle := false
		var one [1]byte
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			idle = n <= 0 && (rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK)
			return true // never wait for readability
		}); err != nil {
			return false
		}
		return idle
	}
	return true
}
