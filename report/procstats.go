package report

import "syscall"

// ProcessStats measures this process for FinishInfo.Generator: user+system
// CPU time so far and the peak resident set size.
func ProcessStats() GeneratorStats {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return GeneratorStats{}
	}
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	return GeneratorStats{CPUSeconds: cpu, PeakRSSBytes: int64(ru.Maxrss) * 1024} // Linux reports KiB
}
