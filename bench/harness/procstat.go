package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/procs"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat; 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// cpuTime is the user+system CPU a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// the command name is in parentheses and may hold spaces: split after it
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	// fields after ")": state(0) ppid(1) … utime(11) stime(12)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// memory is a process's resident (now and peak) and proportional set size
// in bytes.
type memory struct{ RSS, PeakRSS, PSS int64 }

func memUsage(pid int) (memory, error) {
	var m memory
	if err := scanKB(fmt.Sprintf("/proc/%d/status", pid), func(key string, kb int64) {
		if key == "VmHWM:" {
			m.PeakRSS = kb * 1024
		}
	}); err != nil {
		return m, err
	}
	err := scanKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), func(key string, kb int64) {
		switch key {
		case "Rss:":
			m.RSS = kb * 1024
		case "Pss:":
			m.PSS = kb * 1024
		}
	})
	return m, err
}

// scanKB calls fn with the key and number of every "Key: N kB" line.
func scanKB(path string, fn func(key string, kb int64)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		kb, err := strconv.ParseInt(fs[1], 10, 64)
		if err != nil {
			continue
		}
		fn(fs[0], kb)
	}
	return sc.Err()
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// machine describes this machine for the results table.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.IndexByte(l, ':'); i > 0 {
					model = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if fs := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(fs) >= 2 {
			if kb, err := strconv.ParseInt(fs[1], 10, 64); err == nil {
				mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d cores%s%s", model, numCPU(), mem, kernel)
}

// memAvailableMB is /proc/meminfo's MemAvailable in MB (0 if unknown).
func memAvailableMB() int64 { return procs.MemAvailable() >> 20 }

// cpuStat is the machine's CPU time from /proc/stat, in USER_HZ ticks: all
// of it and the part the hypervisor gave to other guests (steal).
type cpuStat struct{ total, steal int64 }

// readCPUStat reads the aggregate "cpu" line of /proc/stat.
func readCPUStat() (cpuStat, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}, err
	}
	return parseCPUStat(string(b))
}

// parseCPUStat parses /proc/stat's first line: "cpu user nice system idle
// iowait irq softirq steal [guest guest_nice]" (guest time is inside user).
func parseCPUStat(s string) (cpuStat, error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuStat{}, fmt.Errorf("/proc/stat: first line %q: want cpu and 8 times", line)
	}
	var st cpuStat
	for i, v := range f[1:9] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return cpuStat{}, fmt.Errorf("/proc/stat: time %q", v)
		}
		st.total += n
		if i == 7 {
			st.steal = n
		}
	}
	return st, nil
}

// stealShare is the share of the machine's CPU time stolen between a and
// b; -1 when unknown.
func stealShare(a, b cpuStat) float64 {
	if b.total <= a.total || b.steal < a.steal {
		return -1
	}
	return float64(b.steal-a.steal) / float64(b.total-a.total)
}
