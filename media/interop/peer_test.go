package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/media/stamp"
)

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// ffmpegQuiet runs ffmpeg -v error ... and fails the test on any output or
// a non-zero exit.
func ffmpegQuiet(t *testing.T, args ...string) {
	t.Helper()
	out, err := testpeer.Run(context.Background(), 2*time.Minute, "ffmpeg", append([]string{"-nostdin", "-v", "error"}, args...)...)
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// decodesClean checks that ffmpeg decodes file with no error output.
func decodesClean(t *testing.T, file string) {
	t.Helper()
	ffmpegQuiet(t, "-i", file, "-f", "null", "-")
}

// ingest is a Handler that keeps what a publisher sent.
type ingest struct {
	rtmp.NopHandler
	mu        sync.Mutex
	video     [][]byte // video tag bodies, in order
	videoTS   []rtmp.Timestamp
	audio     [][]byte
	meta      []rtmp.Data
	publishes []rtmp.StreamRequest
	digest    []bool // per publish: the client offered the digest handshake
	closed    chan error
}

func (g *ingest) OnPublish(c *rtmp.ServerConn, req *rtmp.StreamRequest) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.publishes = append(g.publishes, *req)
	g.digest = append(g.digest, c.Handshake().Digest())
	return nil
}

func (g *ingest) OnMessage(c *rtmp.ServerConn, m *rtmp.Message) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch m.Type {
	case chunk.TypeVideo:
		g.video = append(g.video, bytes.Clone(m.Payload))
		g.videoTS = append(g.videoTS, m.Timestamp)
	case chunk.TypeAudio:
		g.audio = append(g.audio, bytes.Clone(m.Payload))
	case chunk.TypeDataAMF0:
		d, err := rtmp.ParseData(m)
		if err != nil {
			return err
		}
		g.meta = append(g.meta, d)
	}
	return nil
}

func (g *ingest) OnClose(c *rtmp.ServerConn, err error) { g.closed <- err }

// TestFFmpegPublishesToServer: evidence 1. ffmpeg publishes an H.264 + AAC
// file made from lavfi test sources into our server; every video and audio
// frame arrives, and the SPS in the sequence header has the source's size.
func TestFFmpegPublishesToServer(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.flv")
	const frames = 75
	ffmpegQuiet(t, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
		"-frames:v", fmt.Sprint(frames), "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k", "-shortest", "-f", "flv", src)
	wantV := testpeer.FFprobeCountFrames(t, src, "v")
	wantA := testpeer.FFprobeCountFrames(t, src, "a")
	if wantV != frames || wantA == 0 {
		t.Fatalf("source has %d video, %d audio frames", wantV, wantA)
	}

	g := &ingest{closed: make(chan error, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := rtmp.NewServer(g, rtmp.ServerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	ffmpegQuiet(t, "-i", src, "-c", "copy", "-f", "flv", "rtmp://"+ln.Addr().String()+"/live/lavfi?token=abc")
	select {
	case err := <-g.closed:
		if err != nil {
			t.Fatalf("connection ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg's connection did not end")
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.publishes) != 1 || g.publishes[0].Stream != "lavfi" || g.publishes[0].Query.Get("token") != "abc" || g.publishes[0].App != "live" {
		t.Errorf("publishes %+v", g.publishes)
	}
	if len(g.digest) != 1 || !g.digest[0] {
		t.Errorf("ffmpeg did not offer the digest handshake (%v): the test does not show the simple echo serves it", g.digest)
	}
	var gotV, gotA, seqHdr int
	var sps h264.SPS
	for _, body := range g.video {
		var v flv.VideoTag
		if err := v.Unmarshal(body); err != nil {
			t.Fatal(err)
		}
		switch v.Packet {
		case flv.PacketSequenceHeader:
			seqHdr++
			dc, err := h264.ParseDecoderConfig(v.Config)
			if err != nil {
				t.Fatal(err)
			}
			if len(dc.SPS) == 0 {
				t.Fatal("no SPS in the sequence header")
			}
			if sps, err = h264.ParseSPS(dc.SPS[0]); err != nil {
				t.Fatal(err)
			}
		case flv.PacketFrame:
			gotV++
		}
	}
	for _, body := range g.audio {
		var a flv.AudioTag
		if err := a.Unmarshal(body); err != nil {
			t.Fatal(err)
		}
		if a.Packet == flv.PacketFrame {
			gotA++
		}
	}
	if gotV != wantV || gotA != wantA || seqHdr != 1 {
		t.Errorf("received %d video, %d audio frames, %d sequence headers; ffmpeg sent %d, %d, 1", gotV, gotA, seqHdr, wantV, wantA)
	}
	if sps.Width != 320 || sps.Height != 240 {
		t.Errorf("SPS says %dx%d, want 320x240", sps.Width, sps.Height)
	}
	if len(g.meta) == 0 {
		t.Error("no @setDataFrame metadata")
	} else if md, ok := g.meta[0].Metadata(); !ok {
		t.Errorf("metadata message %+v", g.meta[0])
	} else if w, _ := md.Number("width"); w != 320 {
		t.Errorf("metadata width %v", w)
	}
	t.Logf("ffmpeg → server: %d video + %d audio frames, SPS %dx%d", gotV, gotA, sps.Width, sps.Height)
}

// readRecording reads an FLV file: video frames' stamps in order, and the
// frame counts.
func readRecording(t *testing.T, file string) (stamps []stamp.Stamp, video, audio int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := flv.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	for {
		tag, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tag.Type {
		case flv.TagVideo:
			var v flv.VideoTag
			if err := v.Unmarshal(tag.Body); err != nil {
				t.Fatal(err)
			}
			if v.Packet != flv.PacketFrame {
				continue
			}
			video++
			s, ok := stamp.ReadFLVVideo(tag.Body)
			if !ok {
				t.Fatalf("video frame %d at %v has no stamp", video-1, tag.Timestamp)
			}
			stamps = append(stamps, s)
		case flv.TagAudio:
			var a flv.AudioTag
			if err := a.Unmarshal(tag.Body); err != nil {
				t.Fatal(err)
			}
			if a.Packet == flv.PacketFrame {
				audio++
			}
		}
	}
}

func checkStamps(t *testing.T, cam *camera, stamps []stamp.Stamp, n int) {
	t.Helper()
	if len(stamps) != n {
		t.Fatalf("%d stamps, want %d", len(stamps), n)
	}
	for i, s := range stamps {
		want := stamp.New(cam.cfg.Device, uint64(i), cam.cfg.Epoch.Add(cam.videoPTS(uint64(i))))
		if s != want {
			t.Fatalf("stamp %d = %+v, want %+v", i, s, want)
		}
	}
}

// publish sends n video frames (and the audio between them) of cam to url.
func publish(t *testing.T, ctx context.Context, url string, cam *camera, n uint64, cfg rtmp.ClientConfig) {
	t.Helper()
	c, err := rtmp.Dial(ctx, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx); err != nil {
		c.Close()
		t.Fatal(err)
	}
	if err := cam.start(c); err != nil {
		t.Fatal(err)
	}
	if err := cam.sendUntil(c, n); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestClientPublishesToNginx: evidence 2. Our client publishes a
// synthesised, stamped H.264 + AAC stream to nginx-rtmp recording it; the
// recording decodes without errors, has every video frame, and every stamp
// reads back in order. A probe player (our client's play) reads the live
// stream back through nginx with its stamps too.
func TestClientPublishesToNginx(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	// 65536-byte chunks both ways: nginx to our player, our client to nginx.
	ng := testpeer.StartNginxRTMP(t, testpeer.NginxOptions{Record: true, ChunkSize: 65536})
	cam, err := newCamera(subStream())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, time.Minute)

	// A probe player waits on the stream before it starts.
	type playResult struct {
		stamps []stamp.Stamp
		err    error
	}
	const n = 90
	played := make(chan playResult, 1)
	player, err := rtmp.Dial(ctx, ng.URL("live", "cam42"), rtmp.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer player.Close()
	if err := player.Play(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		var res playResult
		defer func() { played <- res }()
		for len(res.stamps) < n {
			m, err := player.ReadMessage()
			if err != nil {
				res.err = err
				return
			}
			if m.Type != chunk.TypeVideo {
				continue
			}
			if s, ok := stamp.ReadFLVVideo(m.Payload); ok {
				res.stamps = append(res.stamps, s)
			}
		}
	}()

	publish(t, ctx, ng.URL("live", "cam42"), cam, n, rtmp.ClientConfig{ChunkSize: 65536})

	select {
	case res := <-played:
		if res.err != nil {
			t.Fatalf("player: %v", res.err)
		}
		checkStamps(t, cam, res.stamps, n)
	case <-time.After(30 * time.Second):
		t.Fatal("player did not receive the stream")
	}

	ng.Stop()
	recs := ng.Recordings()
	if len(recs) != 1 {
		t.Fatalf("recordings %v", recs)
	}
	decodesClean(t, recs[0])
	if got := testpeer.FFprobeCountFrames(t, recs[0], "v"); got != n {
		t.Errorf("ffprobe counts %d video frames, want %d", got, n)
	}
	stamps, v, a := readRecording(t, recs[0])
	checkStamps(t, cam, stamps, n)
	if uint64(a) != cam.aseq {
		t.Errorf("recording has %d audio frames, sent %d", a, cam.aseq)
	}
	t.Logf("client → nginx-rtmp: %d video frames (all stamped), %d audio frames recorded and decoded", v, a)
}

// TestClientPublishesToFFmpegListener: evidence 3. ffmpeg -listen 1
// receives our stream and copies it to FLV; ffprobe validates the file.
func TestClientPublishesToFFmpegListener(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	out := filepath.Join(dir, "out.flv")
	port := testpeer.FreePort(t)
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/app/stream", port)
	ctx := testCtx(t, time.Minute)
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-listen", "1", "-i", url, "-c", "copy", "-y", out)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	cam, err := newCamera(subStream())
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	// ffmpeg accepts exactly one connection, so probing the port would use
	// it up: retry the dial itself until ffmpeg listens.
	var c *rtmp.ClientConn
	for {
		c, err = rtmp.Dial(ctx, url, rtmp.ClientConfig{})
		if err == nil {
			break
		}
		if rtmp.StageOf(err) != rtmp.StageSocket || ctx.Err() != nil {
			t.Fatalf("dial: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.Publish(ctx); err != nil {
		t.Fatalf("publish: %v\n%s", err, logs.String())
	}
	if err := cam.start(c); err != nil {
		t.Fatal(err)
	}
	if err := cam.sendUntil(c, n); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		// The listener reports the publisher's disconnect as an I/O error
		// on the input URL; ffmpeg publishing to ffmpeg ends the same way.
		// Any other output is a failure.
		rest := strings.TrimSpace(strings.ReplaceAll(logs.String(), url+": Input/output error", ""))
		if err != nil || rest != "" {
			t.Fatalf("ffmpeg: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg did not finish")
	}
	decodesClean(t, out)
	if got := testpeer.FFprobeCountFrames(t, out, "v"); got != n {
		t.Errorf("ffprobe counts %d video frames in out.flv, want %d", got, n)
	}
	if got := testpeer.FFprobeCountFrames(t, out, "a"); uint64(got) != cam.aseq {
		t.Errorf("ffprobe counts %d audio frames, want %d", got, cam.aseq)
	}
	stamps, _, _ := readRecording(t, out)
	checkStamps(t, cam, stamps, n)
}

// videoBodies returns copies of every video tag body of an FLV file.
func videoBodies(t *testing.T, file string) [][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := flv.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		tag, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if tag.Type == flv.TagVideo {
			out = append(out, bytes.Clone(tag.Body))
		}
	}
}
