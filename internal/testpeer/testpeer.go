// Package testpeer starts and finds the real peers that interoperability
// tests run against: ffmpeg/ffprobe and nginx with the RTMP module. A test
// that needs a missing peer is skipped, unless FLEETSIM_REQUIRE_PEERS=1 (set
// by `make test` and so by CI), where it fails: CI never passes by skipping.
package testpeer

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NginxRTMPModule is where Debian's libnginx-mod-rtmp installs the module.
const NginxRTMPModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

// Require skips (or, under FLEETSIM_REQUIRE_PEERS=1, fails) the test when a
// named program is not on PATH.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			missing(t, fmt.Sprintf("%s not installed (make deps installs it)", p))
		}
	}
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("FLEETSIM_REQUIRE_PEERS") == "1" {
		t.Fatalf("real peer required: %s", why)
	}
	t.Skip(why)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitTCP waits until addr accepts connections or the timeout passes.
func WaitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting after %v: %w", addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Run runs a program with a timeout and returns its combined output.
func Run(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// FFprobeCountFrames returns the number of decoded frames of the first
// stream of the given type ("v" or "a") in file, decoding every frame.
func FFprobeCountFrames(t testing.TB, file, streamType string) int {
	t.Helper()
	out, err := Run(context.Background(), 2*time.Minute, "ffprobe", "-v", "error", "-count_frames",
		"-select_streams", streamType+":0", "-show_entries", "stream=nb_read_frames",
		"-of", "default=nokey=1:noprint_wrappers=1", file)
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", file, err, out)
	}
	// ffprobe prints a TS stream once per program and once on its own: the
	// first line is the count
	first := strings.TrimSpace(strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0])
	n, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("ffprobe %s: frame count %q: %v", file, out, err)
	}
	return n
}

// NginxOptions configures an nginx-rtmp instance for a test.
type NginxOptions struct {
	App string // application name; default "live"
	// Record, when set, records every published stream as FLV into
	// RecordDir (record all, one file per publish).
	Record bool
	// OnPublish, when set, is an HTTP URL nginx calls on publish; a non-2xx
	// answer refuses the publish.
	OnPublish string
	// ChunkSize is nginx's outgoing chunk size (default 4096).
	ChunkSize int
	// Quiet logs errors only (for load tests).
	Quiet bool
}

// Nginx is a running nginx-rtmp.
type Nginx struct {
	Port      int
	Addr      string // 127.0.0.1:Port
	RecordDir string
	ErrorLog  string
	cmd       *exec.Cmd
}

// URL is rtmp://127.0.0.1:PORT/APP/stream.
func (n *Nginx) URL(app, stream string) string {
	return fmt.Sprintf("rtmp://%s/%s/%s", n.Addr, app, stream)
}

// Recordings lists the FLV files nginx recorded so far.
func (n *Nginx) Recordings() []string {
	m, _ := filepath.Glob(filepath.Join(n.RecordDir, "*.flv"))
	return m
}

// Stop ends nginx (also done by the test's cleanup); recordings are complete
// after it returns.
func (n *Nginx) Stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(os.Interrupt) // SIGINT: fast shutdown, files closed
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-done
	}
	n.cmd = nil
}

// StartNginxRTMP starts nginx with the RTMP module on a free loopback port,
// in the foreground, with its own prefix, config and logs under t.TempDir().
func StartNginxRTMP(t testing.TB, o NginxOptions) *Nginx {
	t.Helper()
	Require(t, "nginx")
	if _, err := os.Stat(NginxRTMPModule); err != nil {
		missing(t, "libnginx-mod-rtmp not installed")
	}
	n, err := LaunchNginxRTMP(t.TempDir(), FreePort(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// LaunchNginxRTMP starts nginx-rtmp listening on 127.0.0.1:port with its
// prefix, config, logs and recordings under dir. The caller must Stop it.
// It is the non-test entry point (the benchmark harness uses it).
func LaunchNginxRTMP(dir string, port int, o NginxOptions) (*Nginx, error) {
	if o.App == "" {
		o.App = "live"
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = 4096
	}
	rec := filepath.Join(dir, "rec")
	if err := os.MkdirAll(rec, 0o777); err != nil {
		return nil, err
	}
	n := &Nginx{Port: port, RecordDir: rec, ErrorLog: filepath.Join(dir, "error.log")}
	n.Addr = fmt.Sprintf("127.0.0.1:%d", n.Port)
	var app strings.Builder
	fmt.Fprintf(&app, "      live on;\n")
	if o.Record {
		fmt.Fprintf(&app, "      record all;\n      record_path %s;\n      record_unique on;\n", rec)
	}
	if o.OnPublish != "" {
		fmt.Fprintf(&app, "      on_publish %s;\n", o.OnPublish)
	}
	conf := fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid %s/nginx.pid;
error_log %s %s;
events { worker_connections 16384; }
rtmp {
  server {
    listen 127.0.0.1:%d;
    chunk_size %d;
    application %s {
%s    }
  }
}
`, NginxRTMPModule, dir, n.ErrorLog, logLevel(o), n.Port, o.ChunkSize, o.App, app.String())
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	n.cmd = exec.Command("nginx", "-p", dir, "-c", confPath)
	var out bytes.Buffer
	n.cmd.Stdout, n.cmd.Stderr = &out, &out
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	if err := WaitTCP(n.Addr, 10*time.Second); err != nil {
		n.Stop()
		log, _ := os.ReadFile(n.ErrorLog)
		return nil, fmt.Errorf("nginx did not start: %v\n%s\n%s", err, out.String(), log)
	}
	return n, nil
}

// Pid is nginx's process id (0 when stopped).
func (n *Nginx) Pid() int {
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

func logLevel(o NginxOptions) string {
	if o.Quiet {
		return "error"
	}
	return "info"
}
