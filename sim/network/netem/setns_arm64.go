//go:build linux

package netem

// sysSetns is setns(2) on linux/arm64 (the generic syscall table).
const sysSetns = 268
