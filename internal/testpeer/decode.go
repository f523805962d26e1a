package testpeer

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// decoderComplaint matches what ffmpeg's decoders say at -v debug about a
// stream that -v error lets pass: frame_num gaps, concealment, reference
// errors, bitstream overreads.
var decoderComplaint = regexp.MustCompile(`(?i)frame num gap|conceal|decode_slice_header error|non-existing|reference (?:count|list|picture missing|overflow)|mmco|overread|illegal|corrupt|invalid (?:nal|data|level|slice|pps|sps)|missing|[1-9][0-9]* decoding errors`)

// FFmpegDecodeClean decodes file with ffmpeg and fails the test unless
// `ffmpeg -v error -i file -f null -` prints nothing and the same decode at
// -v debug shows no decoder complaint (ffmpeg reports frame_num gaps and
// concealment only there). Extra input options (e.g. "-f", "hevc") go
// before -i.
func FFmpegDecodeClean(t testing.TB, file string, inputOpts ...string) {
	t.Helper()
	Require(t, "ffmpeg")
	args := append(append([]string{"-hide_banner", "-nostdin", "-v", "error"}, inputOpts...), "-i", file, "-f", "null", "-")
	out, err := Run(context.Background(), 2*time.Minute, "ffmpeg", args...)
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("ffmpeg -v error decode of %s: %v\n%s", file, err, out)
	}
	args[3] = "debug"
	out, err = Run(context.Background(), 2*time.Minute, "ffmpeg", args...)
	if err != nil {
		t.Fatalf("ffmpeg -v debug decode of %s: %v", file, err)
	}
	var bad []string
	for _, line := range strings.Split(string(out), "\n") {
		if decoderComplaint.MatchString(line) && !strings.Contains(line, "cur_dts is invalid") {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = bad[:10]
		}
		t.Fatalf("ffmpeg decoder complaints about %s:\n%s", file, strings.Join(bad, "\n"))
	}
}

// FFmpegFrameMD5s decodes the first video stream of file and returns the
// MD5 (hex) of every decoded frame as raw pixels in pixFmt (e.g.
// "yuv420p"), in output order, from ffmpeg's framemd5 muxer.
func FFmpegFrameMD5s(t testing.TB, file, pixFmt string, inputOpts ...string) []string {
	t.Helper()
	Require(t, "ffmpeg")
	args := append(append([]string{"-hide_banner", "-nostdin", "-v", "error"}, inputOpts...),
		"-i", file, "-map", "0:v:0", "-pix_fmt", pixFmt, "-f", "framemd5", "-")
	out, err := Run(context.Background(), 2*time.Minute, "ffmpeg", args...)
	if err != nil {
		t.Fatalf("ffmpeg framemd5 of %s: %v\n%s", file, err, out)
	}
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		sums = append(sums, strings.TrimSpace(f[len(f)-1]))
	}
	return sums
}
