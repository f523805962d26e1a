package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/rtmp"
)

// extended is where RTMP timestamps need the extended field: 0xFFFFFF ms,
// about 4 h 39 min into a connection.
const extended = 0xFFFFFF * time.Millisecond

// firstVideoPTS returns ffprobe's first video packet time in file.
func firstVideoPTS(t *testing.T, file string) time.Duration {
	t.Helper()
	out, err := testpeer.Run(context.Background(), time.Minute, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts_time", "-of", "csv=p=0", "-read_intervals", "%+#1", file)
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.Split(string(out), "\n")[0]), 64)
	if err != nil {
		t.Fatalf("ffprobe pts %q: %v", out, err)
	}
	return time.Duration(f * float64(time.Second))
}

// TestExtendedTimestampsToFFmpeg: our client's stream crosses the 24-bit
// timestamp limit (extended timestamps on format 0–3 chunks, 60000-byte
// chunks) and ffmpeg -listen takes it: every frame, clean decode, the
// timeline where we put it.
func TestExtendedTimestampsToFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	cfg := subStream()
	cfg.Offset = extended - 2*time.Second // crosses the limit after 2 s
	cam, err := newCamera(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ext.flv")
	port := testpeer.FreePort(t)
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/app/stream", port)
	ctx := testCtx(t, time.Minute)
	// -copyts keeps the input timeline in the copy (ffmpeg rebases to 0
	// otherwise), so the file shows the timestamps ffmpeg read.
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-listen", "1", "-i", url, "-c", "copy", "-copyts", "-y", out)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var c *rtmp.ClientConn
	for {
		c, err = rtmp.Dial(ctx, url, rtmp.ClientConfig{ChunkSize: 60000})
		if err == nil {
			break
		}
		if rtmp.StageOf(err) != rtmp.StageSocket || ctx.Err() != nil {
			t.Fatalf("dial: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 75 // 5 s: 2 s before the limit, 3 s after
	if err := cam.start(c); err != nil {
		t.Fatal(err)
	}
	if err := cam.sendUntil(c, n); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, logs.String())
	}
	if rest := strings.TrimSpace(strings.ReplaceAll(logs.String(), url+": Input/output error", "")); rest != "" {
		t.Fatalf("ffmpeg said:\n%s", rest)
	}
	decodesClean(t, out)
	if got := testpeer.FFprobeCountFrames(t, out, "v"); got != n {
		t.Errorf("%d video frames, want %d", got, n)
	}
	stamps, _, _ := readRecording(t, out)
	checkStamps(t, cam, stamps, n)
	// The copy starts at the offset (within a second): ffmpeg read the
	// extended timestamps, not wrapped or truncated ones.
	if pts := firstVideoPTS(t, out); pts < cfg.Offset-time.Second || pts > cfg.Offset+time.Second {
		t.Errorf("first video pts %v, want about %v", pts, cfg.Offset)
	}
}

// TestExtendedTimestampsFromFFmpeg: ffmpeg publishes with timestamps past
// the 24-bit limit into our server; the video timeline arrives intact.
func TestExtendedTimestampsFromFFmpeg(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	g := &ingest{closed: make(chan error, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := rtmp.NewServer(g, rtmp.ServerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	const frames = 100 // 4 s at 25 fps, crossing the limit after 2 s
	offset := (extended - 2*time.Second).Seconds()
	ffmpegQuiet(t, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", fmt.Sprint(frames),
		"-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-output_ts_offset", fmt.Sprintf("%.3f", offset),
		"-f", "flv", "rtmp://"+ln.Addr().String()+"/live/ext")
	if err := <-g.closed; err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var ts []rtmp.Timestamp
	for i, body := range g.video {
		var v flv.VideoTag
		if err := v.Unmarshal(body); err != nil {
			t.Fatal(err)
		}
		if v.Packet == flv.PacketFrame {
			ts = append(ts, g.videoTS[i])
		}
	}
	if len(ts) != frames {
		t.Fatalf("%d frames, want %d", len(ts), frames)
	}
	crossed := false
	for i := 1; i < len(ts); i++ {
		d := ts[i] - ts[i-1]
		if d < 30 || d > 50 { // 40 ms apart at 25 fps, DTS order
			t.Fatalf("frame %d: timestamp %d after %d", i, ts[i], ts[i-1])
		}
		crossed = crossed || (ts[i-1] < 0xFFFFFF && ts[i] >= 0xFFFFFF)
	}
	if !crossed {
		t.Errorf("timestamps %d..%d did not cross 0xFFFFFF", ts[0], ts[len(ts)-1])
	}
}
