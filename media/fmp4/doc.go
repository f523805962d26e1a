// Package fmp4 writes and verifies fragmented MP4 slices (ISO/IEC 14496-12
// ISOBMFF, 14496-14 MP4 audio, 14496-15 AVC/HEVC carriage): an init segment
// (ftyp + moov with avc1/avcC or hvc1/hvcC and mp4a/esds) followed by
// moof/mdat fragments, one per GOP.
//
// Video samples are AVCC/HVCC with 4-byte lengths. Parameter sets (VPS,
// SPS, PPS) live in the sample entry, as avc1/hvc1 require, and access unit
// delimiters are dropped; every other NAL unit, the SEI stamp included, is
// kept in the sample.
//
// The Muxer appends into caller-owned buffers; the Verifier is the mock
// cloud's check of an uploaded slice, bounded by Limits.
package fmp4
