// Package units parses and prints the typed quantities of scenario and
// profile files: bit rates, byte sizes, ratios, durations and frequencies.
// Each type implements yaml.v3's Unmarshaler (errors carry no position: the
// scenario loader adds file:line:col from the node) and encoding.TextMarshaler.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bitrate is a rate in bits per second. Written "512k", "512kbit",
// "4mbit", "4Mbps", "1.5mbit", "2gbit", "9600" or "9600bps". Unlike tc,
// "bps" always means bits per second here (a camera bitrate is in bits).
type Bitrate int64

// Common rates.
const (
	Bps  Bitrate = 1
	Kbps Bitrate = 1000
	Mbps Bitrate = 1000 * 1000
	Gbps Bitrate = 1000 * 1000 * 1000
)

// ParseBitrate parses a bit rate.
func ParseBitrate(s string) (Bitrate, error) {
	num, suf, err := splitNumber(s)
	if err != nil {
		return 0, fmt.Errorf("bit rate %q: %v (want e.g. 512k, 4mbit, 2Mbps)", s, err)
	}
	mult := map[string]float64{
		"": 1, "b": 1, "bit": 1, "bps": 1, "bit/s": 1,
		"k": 1e3, "kb": 1e3, "kbit": 1e3, "kbps": 1e3, "kbit/s": 1e3,
		"m": 1e6, "mb": 1e6, "mbit": 1e6, "mbps": 1e6, "mbit/s": 1e6,
		"g": 1e9, "gb": 1e9, "gbit": 1e9, "gbps": 1e9, "gbit/s": 1e9,
	}[strings.ToLower(suf)]
	if mult == 0 {
		return 0, fmt.Errorf("bit rate %q: unknown unit %q (want bit, k, kbit, mbit, gbit or …bps)", s, suf)
	}
	v := num * mult
	if v < 0 || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("bit rate %q: out of range", s)
	}
	return Bitrate(math.Round(v)), nil
}

// BytesPerSecond is the rate in bytes per second.
func (r Bitrate) BytesPerSecond() float64 { return float64(r) / 8 }

func (r Bitrate) String() string {
	switch {
	case r != 0 && r%Gbps == 0:
		return strconv.FormatInt(int64(r/Gbps), 10) + "gbit"
	case r != 0 && r%Mbps == 0:
		return strconv.FormatInt(int64(r/Mbps), 10) + "mbit"
	case r != 0 && r%Kbps == 0:
		return strconv.FormatInt(int64(r/Kbps), 10) + "kbit"
	}
	return strconv.FormatInt(int64(r), 10) + "bit"
}

// ByteSize is a size in bytes. Written "4096", "4096B", "800KiB", "1MiB",
// "2GiB" (binary) or "64KB", "1.5MB" (decimal).
type ByteSize int64

// Common sizes.
const (
	Byte ByteSize = 1
	KiB  ByteSize = 1024
	MiB  ByteSize = 1024 * KiB
	GiB  ByteSize = 1024 * MiB
)

// ParseByteSize parses a byte size.
func ParseByteSize(s string) (ByteSize, error) {
	num, suf, err := splitNumber(s)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v (want e.g. 4096, 800KiB, 1MiB)", s, err)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
		"kb": 1e3, "mb": 1e6, "gb": 1e9,
	}[strings.ToLower(suf)]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KiB, MiB, GiB, KB, MB or GB)", s, suf)
	}
	v := num * mult
	if v < 0 || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: out of range", s)
	}
	return ByteSize(math.Round(v)), nil
}

func (b ByteSize) String() string {
	switch {
	case b != 0 && b%GiB == 0:
		return strconv.FormatInt(int64(b/GiB), 10) + "GiB"
	case b != 0 && b%MiB == 0:
		return strconv.FormatInt(int64(b/MiB), 10) + "MiB"
	case b != 0 && b%KiB == 0:
		return strconv.FormatInt(int64(b/KiB), 10) + "KiB"
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// Ratio is a fraction in [0, 1]. Written "0.2%", "80%" or "0.002".
type Ratio float64

// ParseRatio parses a ratio; it must lie in [0, 1].
func ParseRatio(s string) (Ratio, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("ratio %q: not a number (want e.g. 0.2%% or 0.002)", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("ratio %q: must be between 0 and 1 (0%% and 100%%)", s)
	}
	return Ratio(v), nil
}

func (r Ratio) String() string {
	return strconv.FormatFloat(float64(r)*100, 'g', -1, 64) + "%"
}

// Duration is a time.Duration written as Go durations ("20ms", "1m30s")
// with "d" for days also accepted ("2d", "1d12h"). A bare number is an error:
// the unit is never implied.
type Duration time.Duration

// ParseDuration parses a duration.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	var days float64
	if i := strings.Index(t, "d"); i > 0 {
		d, err := strconv.ParseFloat(t[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %v", s, err)
		}
		days, t = d, t[i+1:]
	}
	var rest time.Duration
	if t != "" {
		var err error
		rest, err = time.ParseDuration(t)
		if err != nil {
			if _, numErr := strconv.ParseFloat(t, 64); numErr == nil {
				return 0, fmt.Errorf("duration %q: missing unit (want e.g. 20ms, 10s, 5m, 1h, 2d)", s)
			}
			return 0, fmt.Errorf("duration %q: not a duration (want e.g. 20ms, 10s, 5m, 1h, 2d)", s)
		}
	}
	d := time.Duration(days*24*float64(time.Hour)) + rest
	if d < 0 {
		return 0, fmt.Errorf("duration %q: negative", s)
	}
	return Duration(d), nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// Frequency is a rate of occurrences per second. Written "6/h", "1/min",
// "0.5/s", "2/d".
type Frequency float64

// ParseFrequency parses a frequency.
func ParseFrequency(s string) (Frequency, error) {
	t := strings.TrimSpace(s)
	i := strings.Index(t, "/")
	if i < 0 {
		return 0, fmt.Errorf("frequency %q: want COUNT/UNIT, e.g. 6/h, 1/min, 0.5/s", s)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(t[:i]), 64)
	if err != nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("frequency %q: count must be a non-negative number", s)
	}
	per := map[string]float64{"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}[strings.ToLower(strings.TrimSpace(t[i+1:]))]
	if per == 0 {
		return 0, fmt.Errorf("frequency %q: unknown unit (want s, min, h or d)", s)
	}
	return Frequency(n / per), nil
}

// PerSecond is the frequency in events per second.
func (f Frequency) PerSecond() float64 { return float64(f) }

// MeanInterval is 1/f as a duration (0 for a zero frequency).
func (f Frequency) MeanInterval() time.Duration {
	if f <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / float64(f))
}

func (f Frequency) String() string {
	return strconv.FormatFloat(float64(f)*3600, 'g', -1, 64) + "/h"
}

// splitNumber splits "1.5mbit" into 1.5 and "mbit".
func splitNumber(s string) (float64, string, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || (i == 0 && (t[i] == '+' || t[i] == '-'))) {
		i++
	}
	if i == 0 {
		return 0, "", fmt.Errorf("no number")
	}
	v, err := strconv.ParseFloat(t[:i], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "", fmt.Errorf("bad number %q", t[:i])
	}
	if v < 0 {
		return 0, "", fmt.Errorf("negative")
	}
	return v, strings.TrimSpace(t[i:]), nil
}
