package units

import (
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var bitrateVectors = []struct {
	in   string
	want Bitrate
	ok   bool
}{
	{"512k", 512 * Kbps, true},
	{"512kbit", 512 * Kbps, true},
	{"4mbit", 4 * Mbps, true},
	{"4Mbps", 4 * Mbps, true},
	{"1.5mbit", 1500 * Kbps, true},
	{"2gbit", 2 * Gbps, true},
	{"9600", 9600, true},
	{"9600bps", 9600, true},
	{"32 kbit/s", 32 * Kbps, true},
	{"", 0, false},
	{"fast", 0, false},
	{"-1k", 0, false},
	{"5 parsecs", 0, false},
}

func TestParseBitrate(t *testing.T) {
	for _, v := range bitrateVectors {
		got, err := ParseBitrate(v.in)
		if (err == nil) != v.ok || (v.ok && got != v.want) {
			t.Errorf("ParseBitrate(%q) = %v, %v; want %v ok=%v", v.in, got, err, v.want, v.ok)
		}
		if v.ok {
			back, err := ParseBitrate(got.String())
			if err != nil || back != got {
				t.Errorf("round trip %v → %q → %v, %v", got, got.String(), back, err)
			}
		}
	}
}

func TestParseByteSize(t *testing.T) {
	cases := []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"800KiB", 800 * KiB, true},
		{"1MiB", MiB, true},
		{"4096", 4096, true},
		{"4096B", 4096, true},
		{"64KB", 64000, true},
		{"1.5MB", 1500000, true},
		{"2GiB", 2 * GiB, true},
		{"3 bananas", 0, false},
		{"KiB", 0, false},
	}
	for _, c := range cases {
		got, err := ParseByteSize(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParseRatio(t *testing.T) {
	cases := []struct {
		in   string
		want Ratio
		ok   bool
	}{
		{"0.2%", 0.002, true},
		{"80%", 0.8, true},
		{"0.5", 0.5, true},
		{"100%", 1, true},
		{"101%", 0, false},
		{"1.5", 0, false},
		{"-1%", 0, false},
		{"lots", 0, false},
	}
	for _, c := range cases {
		got, err := ParseRatio(c.in)
		if (err == nil) != c.ok || (c.ok && !near(float64(got), float64(c.want))) {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"20ms", 20 * time.Millisecond, true},
		{"1m30s", 90 * time.Second, true},
		{"2d", 48 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"10", 0, false},
		{"soon", 0, false},
		{"-5s", 0, false},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && got.D() != c.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParseFrequency(t *testing.T) {
	cases := []struct {
		in   string
		want float64 // per second
		ok   bool
	}{
		{"6/h", 6.0 / 3600, true},
		{"1/min", 1.0 / 60, true},
		{"0.5/s", 0.5, true},
		{"2/d", 2.0 / 86400, true},
		{"6", 0, false},
		{"6/fortnight", 0, false},
	}
	for _, c := range cases {
		got, err := ParseFrequency(c.in)
		if (err == nil) != c.ok || (c.ok && !near(got.PerSecond(), c.want)) {
			t.Errorf("ParseFrequency(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if f, _ := ParseFrequency("6/h"); f.MeanInterval() != 10*time.Minute {
		t.Errorf("6/h mean interval %v", f.MeanInterval())
	}
}

func TestYAMLDecodesAndRejectsNonScalars(t *testing.T) {
	var v struct {
		Rate  Bitrate   `yaml:"rate"`
		Size  ByteSize  `yaml:"size"`
		Loss  Ratio     `yaml:"loss"`
		Delay Duration  `yaml:"delay"`
		Often Frequency `yaml:"often"`
	}
	src := "rate: 4mbit\nsize: 800KiB\nloss: 0.2%\ndelay: 20ms\noften: 6/h\n"
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	if v.Rate != 4*Mbps || v.Size != 800*KiB || !near(float64(v.Loss), 0.002) || v.Delay.D() != 20*time.Millisecond {
		t.Fatalf("decoded %+v", v)
	}
	if err := yaml.Unmarshal([]byte("rate: [1, 2]\n"), &v); err == nil {
		t.Fatal("a list decoded as a bit rate")
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range bitrateVectors {
		f.Add(v.in)
	}
	f.Add("1d12h")
	f.Add("6/h")
	f.Add("80%")
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseBitrate(s); err == nil && r < 0 {
			t.Fatalf("negative bitrate %d from %q", r, s)
		}
		if b, err := ParseByteSize(s); err == nil && b < 0 {
			t.Fatalf("negative size %d from %q", b, s)
		}
		if r, err := ParseRatio(s); err == nil && (r < 0 || r > 1) {
			t.Fatalf("ratio %v out of range from %q", r, s)
		}
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("negative duration from %q", s)
		}
		_, _ = ParseFrequency(s)
	})
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-12*(1+b)
}
