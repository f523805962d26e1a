package main

import (
	"flag"
	"io"
	"runtime/debug"
	"testing"
)

func TestApplyGCPercent(t *testing.T) {
	const untouched = 77 // what the process had before the call
	cases := []struct {
		name    string
		args    []string
		gogc    string
		want    int // the collector's target after the call
		wantErr bool
	}{
		{name: "default", want: defaultGCPercent},
		{name: "flag", args: []string{"--gc-percent", "300"}, want: 300},
		{name: "flag off", args: []string{"--gc-percent", "-1"}, want: -1},
		{name: "environment wins over the default", gogc: "80", want: untouched},
		{name: "environment off", gogc: "off", want: untouched},
		{name: "flag wins over the environment", args: []string{"--gc-percent", "120"}, gogc: "80", want: 120},
		{name: "bad environment", gogc: "lots", want: untouched, wantErr: true},
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(untouched)
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			pct := gcPercentFlag(fs)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			set, err := applyGCPercent(fs, *pct, func(k string) string {
				if k == "GOGC" {
					return c.gogc
				}
				return ""
			})
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, want error %v", err, c.wantErr)
			}
			if want := c.want != untouched; set != want {
				t.Errorf("reported set %v, want %v", set, want)
			}
			if got := debug.SetGCPercent(untouched); got != c.want {
				t.Errorf("GC percent %d, want %d", got, c.want)
			}
		})
	}
}
