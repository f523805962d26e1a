// Package interop holds the end-to-end tests of the media layer against real
// peers (ffmpeg, ffprobe, nginx-rtmp): synthesised, stamped H.264 + AAC
// published with the rtmp client, ffmpeg publishing into the rtmp server, and
// the sending-side benchmark of one camera-second. It has no non-test code
// besides this comment.
package interop
