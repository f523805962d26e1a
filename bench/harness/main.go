// Command harness is fleetsim's benchmark harness (make bench). It measures,
// on this machine and in one invocation:
//
//	(a) fleetsim with N cameras of the quickstart profile against the
//	    embedded cloud: CPU per camera-second, RSS per camera, generator lag,
//	    delivered/sent;
//	(b) against nginx-rtmp on loopback, fleetsim and then one
//	    `ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv` process per
//	    camera, and the ratios of CPU per camera-second and PSS per camera;
//
// and writes the table with a machine description to bench/RESULTS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
)

type options struct {
	embedded             []int // fleet sizes against the embedded cloud
	vsNginx              []int // fleet sizes for the side-by-side with ffmpeg
	warmup               time.Duration
	window               time.Duration
	work                 string
	out                  string
	fleetsim             string // path of a built fleetsim binary
	scenario             string
	fleetsimOn, ffmpegOn bool
}

func main() {
	var o options
	var emb, ngx string
	flag.StringVar(&emb, "embedded", "100,1000,2000,5000", "fleet sizes against the embedded cloud (empty: skip)")
	flag.StringVar(&ngx, "nginx", "50,200", "fleet sizes for fleetsim vs ffmpeg against nginx-rtmp (empty: skip)")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "time before measuring (ramp, connections)")
	flag.DurationVar(&o.window, "window", 30*time.Second, "measurement window")
	flag.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "fleetsim-bench"), "work directory (clip, nginx, outputs)")
	flag.StringVar(&o.out, "out", "bench/RESULTS.md", "results file")
	flag.StringVar(&o.fleetsim, "fleetsim", "", "fleetsim binary (default: build ./cmd/fleetsim into the work dir)")
	flag.StringVar(&o.scenario, "scenario", "scenarios/quickstart.yaml", "scenario whose profile the cameras use")
	tools := flag.String("tools", "fleetsim,ffmpeg", "generators to measure against nginx-rtmp")
	flag.Parse()
	o.fleetsimOn = strings.Contains(*tools, "fleetsim")
	o.ffmpegOn = strings.Contains(*tools, "ffmpeg")
	var err error
	if o.embedded, err = sizes(emb); err == nil {
		o.vsNginx, err = sizes(ngx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

func sizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad fleet size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, o options) error {
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	var results []result
	if len(o.embedded) > 0 {
		rs, err := fleetsimEmbedded(ctx, o)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if len(o.vsNginx) > 0 {
		clip, err := makeClip(ctx, o.work)
		if err != nil {
			return err
		}
		for _, n := range o.vsNginx {
			ngx, err := testpeer.LaunchNginxRTMP(filepath.Join(o.work, fmt.Sprintf("nginx-%d", n)), freePort(), testpeer.NginxOptions{Quiet: true})
			if err != nil {
				return err
			}
			var fs, ff result
			if o.fleetsimOn {
				if fs, err = fleetsimVsNginx(ctx, o, ngx, n); err != nil {
					ngx.Stop()
					return err
				}
			}
			if o.ffmpegOn {
				if ff, err = ffmpegFleet(ctx, clip, "rtmp://"+ngx.Addr+"/live", n, o.warmup, o.window); err != nil {
					ngx.Stop()
					return err
				}
				ff.Target = "nginx-rtmp"
			}
			ngx.Stop()
			if o.fleetsimOn && o.ffmpegOn {
				fs.Note = fmt.Sprintf("ffmpeg/fleetsim: CPU %.1f×, PSS %.1f×",
					ratio(float64(ff.CPUPerCamSecond()), float64(fs.CPUPerCamSecond())), ratio(ff.perCam(ff.PSS), fs.perCam(fs.PSS)))
			}
			for _, r := range []result{fs, ff} {
				if r.Cameras > 0 {
					results = append(results, r)
					fmt.Fprintf(os.Stderr, "nginx N=%d: %s %s/cam-s, PSS %s/cam\n", n, r.Tool, us(r.CPUPerCamSecond()), size(r.perCam(r.PSS)))
				}
			}
		}
	}
	return writeResults(o, results)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func writeResults(o options, rs []result) error {
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "# fleetsim benchmark results\n\n")
	fmt.Fprintf(f, "Machine: %s. Measured %s. Warm-up %v, window %v.\n\n", machine(), time.Now().UTC().Format("2006-01-02 15:04 MST"), o.warmup, o.window)
	fmt.Fprintf(f, "Reproduce: `%s`\n\n", strings.Join(os.Args, " "))
	writeTable(f, rs)
	writeTable(os.Stdout, rs)
	return nil
}
