package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// result is one measured configuration.
type result struct {
	Tool    string
	Target  string
	Cameras int
	Elapsed time.Duration // measurement window
	CPU     time.Duration // CPU used by the generator in the window
	RSS     int64         // generator resident memory at the window's end (bytes)
	PeakRSS int64         // generator peak resident memory (VmHWM, bytes)
	PSS     int64         // generator proportional set size (bytes)
	// From fleetsim's own report (zero for ffmpeg).
	LagP50, LagP99, LagMax time.Duration
	Procs                  int // most cores (GOMAXPROCS) the run used (--procs auto)
	// Steal is the share of the machine's CPU the hypervisor gave to other
	// guests from the run's start to the window's end (-1: unknown): a
	// virtual machine's neighbours delay its threads, which shows as
	// generator lag no code causes.
	Steal           float64
	Sent, Delivered int64
	InFlight        int64 // still in a slice or an upload when the run ended
	Failed          int64 // dropped on the device (not by policy) + lost in the network + rejected by the cloud
	ByPolicy        int64 // dropped on the device by policy: not loss
	// Probe is what the probe players measured, for runs against an
	// external RTMP target (nil otherwise).
	Probe *probed
	Note  string
	// Skipped says why the configuration could not be measured.
	Skipped string
}

// CPUPerCamSecond is generator CPU per camera per second of stream.
func (r result) CPUPerCamSecond() time.Duration {
	if r.Cameras == 0 || r.Elapsed <= 0 {
		return 0
	}
	return time.Duration(float64(r.CPU) / (float64(r.Cameras) * r.Elapsed.Seconds()))
}

// deliveredCell is delivered/sent: over the probed devices when only a
// probe can tell what an external target did with the frames.
func (r result) deliveredCell() string {
	if r.Probe != nil {
		return r.Probe.String()
	}
	return fmt.Sprintf("%d / %d", r.Delivered, r.Sent)
}

func (r result) perCam(b int64) float64 {
	if r.Cameras == 0 {
		return 0
	}
	return float64(b) / float64(r.Cameras)
}

func numCPU() int { return runtime.NumCPU() }

func writeTable(w io.Writer, rs []result) {
	fmt.Fprintln(w, "| generator | target | cameras | cores | host steal | CPU / camera-second | peak RSS / camera | PSS / camera | lag p50 / p99 / max | delivered / sent | failed | by policy | in flight | note |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
	for _, r := range rs {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | %s | %d | – | – | – | – | – | – | – | – | – | – | not measured: %s |\n", r.Tool, r.Target, r.Cameras, r.Skipped)
			continue
		}
		lag, del, failed, policy, inflight, cores := "–", "–", "–", "–", "–", "–"
		if r.Procs > 0 {
			cores = fmt.Sprint(r.Procs)
		}
		steal := "–"
		if r.Steal >= 0 {
			steal = fmt.Sprintf("%.1f %%", 100*r.Steal)
		}
		if r.Sent > 0 {
			lag = fmt.Sprintf("%s / %s / %s", ms(r.LagP50), ms(r.LagP99), ms(r.LagMax))
			del = r.deliveredCell()
			failed, policy = fmt.Sprint(r.Failed), fmt.Sprint(r.ByPolicy)
			inflight = fmt.Sprint(r.InFlight)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Tool, r.Target, r.Cameras, cores, steal,
			us(r.CPUPerCamSecond()), size(r.perCam(r.PeakRSS)), size(r.perCam(r.PSS)), lag, del, failed, policy, inflight, r.Note)
	}
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
func size(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f KB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}
