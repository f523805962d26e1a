// Package memnet is an in-memory stream network: listeners and connections
// that behave like loopback TCP for net/http and fleetsim's RTMP code, but
// whose bytes never cross the kernel. The embedded cloud listens on a
// Network and every simulated device dials it, so a run of thousands of
// cameras in one process spends no CPU on socket system calls.
//
// A Network is one host: every address is 127.0.0.1:PORT whatever host a
// caller names, and ports are the Network's own (port 0 picks a free one).
// Dialling a port nobody listens on fails at once with an error wrapping
// syscall.ECONNREFUSED.
//
// Each connection carries a bounded buffer per direction
// (Options.BufferSize): a Write copies into it and blocks while it is full,
// until the peer reads (backpressure, like a full socket buffer); writes are
// all-or-error as net.Conn requires. Buffers are made of pooled chunks
// allocated only while they hold data, so an idle connection holds none.
// WriteHandoff queues a writer's pooled buffer instead of copying it and
// gives it back once read; SetReadLowWater (SO_RCVLOWAT) lets a reader
// that knows how much is coming wake once per batch.
// Close, CloseWrite, CloseRead and deadlines follow the kernel's TCP
// semantics as Go reports them (net.ErrClosed locally, io.EOF for the peer
// after what was written, EPIPE/ECONNRESET for a write to a closed peer,
// os.ErrDeadlineExceeded that is a net.Error with Timeout()).
//
// Deadlines are I/O plumbing like the kernel's socket timeouts, not
// simulation time: they are wall-clock deadlines run on time.AfterFunc and
// compared with time.Now, exactly as net.Conn deadlines are. Nothing in
// memnet runs a goroutine of its own; blocked calls wait on channels.
package memnet
