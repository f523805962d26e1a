//go:build linux && !amd64 && !arm64

package netem

// sysSetns is not wired on this architecture: Dialer reports it.
const sysSetns = 0
