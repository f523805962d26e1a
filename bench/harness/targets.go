package main

import (
	"fmt"
	"strings"
	"time"
)

// DESIGN.md §7 targets.
const (
	targetLagP99      = 10 * time.Millisecond
	targetRSSPerCam   = 300 << 10
	targetCPUVsFFmpeg = 10.0
	// stealLimit is the host steal share above which a row's lag and CPU
	// say more about the virtual machine's neighbours than about fleetsim.
	stealLimit = 0.05
)

// disturbed is the caveat of a row measured while the hypervisor took more
// than stealLimit of the machine's CPU ("" otherwise).
func disturbed(r result) string {
	if r.Steal > stealLimit {
		return fmt.Sprintf(" (host steal %.0f %%: measurement disturbed, run again on a quiet host)", 100*r.Steal)
	}
	return ""
}

// targetLines says, for every measured row, whether it meets the targets.
func targetLines(rs []result) []string {
	var out []string
	for _, r := range rs {
		if r.Skipped != "" || !strings.HasPrefix(r.Tool, "fleetsim") {
			continue
		}
		switch r.Target {
		case "embedded cloud":
			rss := r.perCam(r.PeakRSS)
			ok := r.LagP99 <= targetLagP99 && r.Failed == 0 && rss <= targetRSSPerCam
			out = append(out, fmt.Sprintf("%s, %d cameras: lag p99 %s %s, %d frames lost %s, peak RSS %s per camera %s — %s%s",
				r.Tool, r.Cameras, ms(r.LagP99), mark(r.LagP99 <= targetLagP99), r.Failed, mark(r.Failed == 0),
				size(rss), mark(rss <= targetRSSPerCam), verdict(ok), disturbed(r)))
		case "nginx-rtmp":
			for _, ff := range rs {
				if ff.Tool != "ffmpeg per camera" || ff.Target != r.Target || ff.Cameras != r.Cameras || ff.Skipped != "" {
					continue
				}
				x := ratio(float64(ff.CPUPerCamSecond()), float64(r.CPUPerCamSecond()))
				out = append(out, fmt.Sprintf("%s, %d cameras vs nginx-rtmp: ffmpeg/fleetsim CPU %.1f× %s — %s%s",
					r.Tool, r.Cameras, x, mark(x >= targetCPUVsFFmpeg), verdict(x >= targetCPUVsFFmpeg), disturbed(r)+disturbed(ff)))
			}
		}
	}
	return out
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}
