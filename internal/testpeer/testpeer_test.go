package testpeer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNginxRecordsAnFFmpegPublish proves the harness itself: nginx starts,
// ffmpeg publishes a short lavfi stream, the recording decodes.
func TestNginxRecordsAnFFmpegPublish(t *testing.T) {
	Require(t, "ffmpeg", "ffprobe")
	n := StartNginxRTMP(t, NginxOptions{Record: true})
	out, err := Run(context.Background(), time.Minute, "ffmpeg", "-v", "error",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-t", "2",
		"-c:v", "libx264", "-g", "30", "-f", "flv", n.URL("live", "probe"))
	if err != nil {
		t.Fatalf("ffmpeg publish: %v\n%s", err, out)
	}
	n.Stop()
	recs := n.Recordings()
	if len(recs) != 1 {
		entries, _ := os.ReadDir(filepath.Dir(n.RecordDir))
		t.Fatalf("recordings %v (dir has %v)", recs, entries)
	}
	if got := FFprobeCountFrames(t, recs[0], "v"); got != 30 {
		t.Fatalf("recorded %d video frames, want 30", got)
	}
}
