// Package mpegts writes and verifies the MPEG transport stream slices
// (ISO/IEC 13818-1) a cloud-storage camera uploads: H.264 or H.265 video
// with AAC (ADTS) audio, one program, PAT/PMT, one PES per access unit,
// PCR on the video PID.
//
// The Muxer appends TS packets into a caller-owned buffer, so the SDK keeps
// one buffer per channel and a slice costs no allocation once that buffer
// has grown. The Verifier is what the mock cloud runs on every uploaded
// slice: counts, stamps, first-frame check, timestamps — bounded by Limits.
package mpegts
