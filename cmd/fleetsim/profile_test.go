package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProfiled(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	tr := filepath.Join(dir, "trace.out")
	bad := filepath.Join(dir, "missing", "x.pprof")
	tests := []struct {
		name      string
		env       map[string]string
		wantFiles []string
		wantTrace string
		wantErr   string
	}{
		{name: "none", env: map[string]string{}},
		{name: "cpu", env: map[string]string{envCPUProfile: cpu}, wantFiles: []string{cpu}},
		{name: "mem", env: map[string]string{envMemProfile: mem}, wantFiles: []string{mem}},
		{name: "mem after", env: map[string]string{envMemProfile: mem, envMemAfter: "1ms"}, wantFiles: []string{mem}},
		{name: "mem bad after", env: map[string]string{envMemProfile: mem, envMemAfter: "soon"}, wantFiles: []string{mem}, wantErr: envMemAfter},
		{name: "both", env: map[string]string{envCPUProfile: cpu, envMemProfile: mem}, wantFiles: []string{cpu, mem}},
		{name: "trace", env: map[string]string{envTrace: tr, envTraceFor: "1h"}, wantTrace: tr},
		{name: "trace window", env: map[string]string{envTrace: tr, envTraceAfter: "0s", envTraceFor: "5ms"}, wantTrace: tr},
		{name: "trace bad window", env: map[string]string{envTrace: tr, envTraceFor: "long"}, wantTrace: tr, wantErr: envTraceFor},
		{name: "unwritable", env: map[string]string{envCPUProfile: bad, envMemProfile: bad}, wantErr: envCPUProfile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []string{cpu, mem, tr} {
				_ = os.Remove(f)
			}
			var stderr bytes.Buffer
			ran := false
			code := profiled(func(k string) string { return tc.env[k] }, &stderr, func() int {
				ran = true
				if tc.env[envMemAfter] == "1ms" {
					// the delayed profile is written while the command still runs
					deadline := time.Now().Add(30 * time.Second)
					for {
						if _, err := os.Stat(mem); err == nil {
							break
						} else if time.Now().After(deadline) {
							t.Errorf("heap profile not written during the command: %v", err)
							break
						}
						time.Sleep(10 * time.Millisecond)
					}
				}
				return exitThreshold
			})
			if !ran || code != exitThreshold {
				t.Fatalf("ran %v, code %d: the command's exit code must pass through", ran, code)
			}
			for _, f := range tc.wantFiles {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof files are gzipped protobuf
					t.Errorf("%s: not a gzipped profile (%d bytes)", f, len(b))
				}
			}
			if tc.wantTrace != "" {
				b, err := os.ReadFile(tc.wantTrace)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(b, []byte("go 1.")) { // execution traces start "go 1.NN trace"
					t.Errorf("%s: not an execution trace (%d bytes: %.20q)", tc.wantTrace, len(b), b)
				}
			}
			if tc.wantErr == "" && stderr.Len() > 0 {
				t.Errorf("unexpected stderr: %s", stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr %q does not name %s", stderr.String(), tc.wantErr)
			}
		})
	}
}
