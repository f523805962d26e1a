package interop

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
)

// playWriter sends a camera's messages to a player on a server connection.
type playWriter struct {
	c   *rtmp.ServerConn
	sid uint32
}

func (p playWriter) write(typ rtmp.TypeID, ts rtmp.Timestamp, b []byte) error {
	return p.c.WriteMessage(&rtmp.Message{Type: typ, StreamID: p.sid, Timestamp: ts, Payload: b})
}

func (p playWriter) WriteVideo(ts rtmp.Timestamp, tag []byte) error {
	return p.write(chunk.TypeVideo, ts, tag)
}

func (p playWriter) WriteAudio(ts rtmp.Timestamp, tag []byte) error {
	return p.write(chunk.TypeAudio, ts, tag)
}

func (p playWriter) WriteMetadata(md amf0.ECMAArray) error {
	d := rtmp.Data{Name: rtmp.DataOnMetaData, Args: []any{md}}
	m, err := d.Message(p.sid, 0)
	if err != nil {
		return err
	}
	return p.c.WriteMessage(&m)
}

// streamer plays a synthesised camera to whoever plays a stream, then
// ends the stream.
type streamer struct {
	rtmp.NopHandler
	cam  *camera
	n    uint64
	errc chan error
}

func (s *streamer) OnPlay(c *rtmp.ServerConn, req *rtmp.StreamRequest) error {
	go func() {
		w := playWriter{c: c, sid: req.StreamID}
		err := s.cam.start(w)
		if err == nil {
			err = s.cam.sendUntil(w, s.n)
		}
		if err == nil {
			err = c.StopPlay(req.StreamID)
		}
		s.errc <- err
	}()
	return nil
}

// TestFFmpegPlaysFromServer: ffmpeg as a player reads a stamped stream from
// our server (the mock cloud's playback path) and copies it to FLV; every
// frame and stamp is in the copy.
func TestFFmpegPlaysFromServer(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	cam, err := newCamera(subStream())
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	s := &streamer{cam: cam, n: n, errc: make(chan error, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := rtmp.NewServer(s, rtmp.ServerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	out := filepath.Join(t.TempDir(), "play.flv")
	cctx := testCtx(t, time.Minute)
	cmd := exec.CommandContext(cctx, "ffmpeg", "-nostdin", "-v", "error", "-i", "rtmp://"+ln.Addr().String()+"/live/cam42", "-c", "copy", "-y", out)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Run(); err != nil || logs.Len() > 0 {
		t.Fatalf("ffmpeg: %v\n%s", err, logs.String())
	}
	if err := <-s.errc; err != nil {
		t.Fatalf("streamer: %v", err)
	}
	decodesClean(t, out)
	if got := testpeer.FFprobeCountFrames(t, out, "v"); got != n {
		t.Errorf("ffprobe counts %d video frames, want %d", got, n)
	}
	stamps, _, a := readRecording(t, out)
	checkStamps(t, cam, stamps, n)
	if uint64(a) != cam.aseq {
		t.Errorf("%d audio frames, sent %d", a, cam.aseq)
	}
	t.Logf("server → ffmpeg player: %d video (stamped), %d audio frames", len(stamps), a)
}
