package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

// makeClip encodes the reference camera clip once: 640x360, 15 fps,
// 512 kbps H.264 with GOP 30, 32 kbps AAC 16 kHz mono, in FLV.
func makeClip(ctx context.Context, dir string) (string, error) {
	clip := filepath.Join(dir, "clip.flv")
	if _, err := os.Stat(clip); err == nil {
		return clip, nil
	}
	out, err := testpeer.Run(ctx, 5*time.Minute, "ffmpeg", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
		"-t", "30", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "512k", "-maxrate", "512k", "-bufsize", "1024k",
		"-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "32k", "-ac", "1", "-ar", "16000", "-f", "flv", clip)
	if err != nil {
		return "", fmt.Errorf("make clip: %v\n%s", err, out)
	}
	return clip, nil
}

// ffmpegFleet runs one `ffmpeg -re -stream_loop -1 -i clip -c copy -f flv`
// process per camera against nginx and measures their CPU and PSS over the
// measurement window, after a warm-up.
func ffmpegFleet(ctx context.Context, clip, rtmpBase string, n int, warmup, window time.Duration) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmds := make([]*exec.Cmd, 0, n)
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	for i := 0; i < n; i++ {
		c := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-re", "-stream_loop", "-1",
			"-i", clip, "-c", "copy", "-f", "flv", fmt.Sprintf("%s/cam%05d", rtmpBase, i))
		if err := c.Start(); err != nil {
			return result{}, fmt.Errorf("start ffmpeg %d: %w", i, err)
		}
		cmds = append(cmds, c)
	}
	stat0, stat0Err := readCPUStat()
	if err := sleepCtx(ctx, warmup); err != nil {
		return result{}, err
	}
	cpu0 := make([]time.Duration, n)
	for i, c := range cmds {
		t, err := cpuTime(c.Process.Pid)
		if err != nil {
			return result{}, fmt.Errorf("ffmpeg %d died during warm-up: %w", i, err)
		}
		cpu0[i] = t
	}
	start := time.Now()
	if err := sleepCtx(ctx, window); err != nil {
		return result{}, err
	}
	elapsed := time.Since(start)
	steal := -1.0
	if stat1, err := readCPUStat(); err == nil && stat0Err == nil {
		steal = stealShare(stat0, stat1)
	}
	var cpu time.Duration
	var mem memory
	for i, c := range cmds {
		t, err := cpuTime(c.Process.Pid)
		if err != nil {
			return result{}, fmt.Errorf("ffmpeg %d died: %w", i, err)
		}
		cpu += t - cpu0[i]
		m, err := memUsage(c.Process.Pid)
		if err != nil {
			return result{}, err
		}
		mem.RSS += m.RSS
		mem.PeakRSS += m.PeakRSS
		mem.PSS += m.PSS
	}
	return result{
		Tool: "ffmpeg per camera", Cameras: n, Elapsed: elapsed, CPU: cpu, Steal: steal,
		RSS: mem.RSS, PeakRSS: mem.PeakRSS, PSS: mem.PSS,
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
