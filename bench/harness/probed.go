package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// probed is what a run's probe players measured: against an external RTMP
// target only the probed devices' frames get a fate (delivered, rejected
// or lost); the others' stay in flight, so delivered/sent over the whole
// fleet would read as 0 and say nothing.
type probed struct {
	Devices   int // devices fleetsim says its probes played back
	WithFates int // devices whose frames got fates from the target
	Sent      int64
	Delivered int64
	Failed    int64 // dropped on the device (not by policy) + lost + rejected
	ByPolicy  int64 // dropped on the device by policy (not loss)
}

// probesLine is fleetsim's summary after the stop (sim/runner).
var probesLine = regexp.MustCompile(`fleetsim: probes: (\d+) of (\d+) devices played back`)

// probedDevices finds the probe summary in a run's output; ok is false when
// the run had no external target (no summary line).
func probedDevices(logs []byte) (n int, ok bool) {
	m := probesLine.FindSubmatch(logs)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(m[1]))
	return n, err == nil
}

// deviceLine is one device's totals in results.jsonl.
type deviceLine struct {
	Type          string `json:"type"`
	Sent          int64  `json:"sent"`
	Delivered     int64  `json:"delivered"`
	DroppedDevice int64  `json:"dropped_device"`
	ByPolicy      int64  `json:"dropped_by_policy"`
	LostNetwork   int64  `json:"lost_network"`
	RejectedCloud int64  `json:"rejected_cloud"`
}

// readProbed sums the devices of results.jsonl whose frames got a fate
// from the target (a probe saw them): those are the probed devices.
func readProbed(path string, devices int) (probed, error) {
	p := probed{Devices: devices}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"type":"device"`)) {
			continue
		}
		var d deviceLine
		if err := json.Unmarshal(line, &d); err != nil {
			return p, fmt.Errorf("%s: %w", path, err)
		}
		if d.Delivered+d.LostNetwork+d.RejectedCloud == 0 {
			continue // unprobed: its frames stay in flight
		}
		p.WithFates++
		p.Sent += d.Sent
		p.Delivered += d.Delivered
		p.Failed += d.DroppedDevice - d.ByPolicy + d.LostNetwork + d.RejectedCloud
		p.ByPolicy += d.ByPolicy
	}
	return p, sc.Err()
}

// String is the table's delivered/sent cell for a probed run.
func (p probed) String() string {
	switch {
	case p.Devices == 0:
		return "not probed"
	case p.WithFates == 0:
		return fmt.Sprintf("none of %d probed devices got a fate", p.Devices)
	}
	s := fmt.Sprintf("%d / %d (%d probed devices)", p.Delivered, p.Sent, p.WithFates)
	if p.WithFates != p.Devices {
		s += fmt.Sprintf(", %d probed without fates", p.Devices-p.WithFates)
	}
	return s
}
