package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := dispatch(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != exitPass || !strings.HasPrefix(out, "fleetsim ") {
		t.Fatalf("version: code %d, out %q", code, out)
	}
}

func TestUnknownCommandIsBadInput(t *testing.T) {
	code, _, errs := runCLI(t, "frobnicate")
	if code != exitBadInput || !strings.Contains(errs, "unknown command") {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
}
