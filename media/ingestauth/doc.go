// Package ingestauth signs and checks the push URLs of RTMP ingests
// (DESIGN.md RP10):
//
//   - Kingsoft simple auth: ?t=<unix expiry>&k=<chars 9–24 of MD5(key+stream+t)>
//   - Tencent: ?txSecret=MD5(key+stream+txTime)&txTime=<hex unix expiry>
//   - an opaque ?token= checked by a callback (Kingsoft external auth)
//
// Signing and checking are pure functions of the key, the stream name, the
// query and a passed-in time; the package never reads the clock.
package ingestauth
