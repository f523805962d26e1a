// Package netem is the optional kernel backend of sim/network: instead of
// the userland model, a cohort of devices gets its own Linux network
// namespace, joined to the host by a veth pair whose two ends carry
// sch_netem qdiscs configured from a network.Profile (up = egress of the
// namespace end, down = egress of the host end). Sockets opened inside the
// namespace then meet the kernel's delay, loss and rate, with the kernel's
// own TCP.
//
// Everything the backend does is a list of ip/tc/iptables/sysctl commands
// (Setup, Teardown, Update, Outage), so they can be read, logged and
// tested as golden files. Probe checks that the machine can run them (root
// or CAP_NET_ADMIN, ip, tc, and a kernel with sch_netem); Choose falls back
// to the userland backend with a clear message when it cannot.
//
// What netem cannot do is refused (trace-driven capacity) or left to the
// caller (scheduled outages and flaps: call Outage at the times the link's
// schedule says; DNS failures and resets are decided in userland).
// Impairments are per cohort, not per device: devices of one cohort share
// one bottleneck, as cameras behind one access point do.
package netem
