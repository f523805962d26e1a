// Package liveview is the virtual camera's live view over RTP/UDP
// (DESIGN.md §2.3): during a viewer session the device packetises its
// video with github.com/pion/rtp (H.264 single NAL / STAP-A / FU-A of RFC
// 6184, H.265 single / aggregation / fragmentation units of RFC 7798) and
// sends it to the cloud's relay through its link's datagram socket, with
// RTCP sender reports (github.com/pion/rtcp) multiplexed on the same port
// (RFC 5761). The relay's receiver reports give the round-trip time
// (RFC 3550 6.4.1: arrival − LSR − DLSR) and the loss it saw.
//
// A Session is driven by its caller's frames and its clock: sender reports
// go out on a clock timer, and one goroutine per session reads the relay's
// reports until Stop. Writes never block (datagrams), so frames may be
// given from clock callbacks.
//
// Observations: a LiveViewReport with Reason "session_start" when a session
// starts and "session_stop" when it ends (Size, Code and Value zero: the
// relay's reports carry the counts), so the report sees sessions happen.
package liveview
