package main

import (
	"bytes"
	"regexp"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// followedWorker is the goroutine the test follows: it sleeps on a timer
// channel a few times, as a clock shard worker does.
func followedWorker(done chan<- struct{}) {
	for range 5 {
		<-time.After(time.Millisecond)
	}
	close(done)
}

func TestRunFollowsMatchedGoroutines(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("tracing unavailable: %v", err)
	}
	done := make(chan struct{})
	go followedWorker(done)
	<-done
	trace.Stop()

	var out bytes.Buffer
	if err := run(&buf, &out, "followedWorker", time.Nanosecond); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "followed goroutines 1\n") {
		t.Fatalf("want one followed goroutine:\n%s", s)
	}
	// its wake-ups after the timer receives are counted, by cause
	if !regexp.MustCompile(`n=[1-9]\d* total=.*(chan receive|select)`).MatchString(s) {
		t.Errorf("no wake-up of the followed goroutine by its channel:\n%s", s)
	}
	if !strings.Contains(s, "long wait") {
		t.Errorf("-long 1ns listed no wait:\n%s", s)
	}
}

func TestRunRejectsNonTrace(t *testing.T) {
	var out bytes.Buffer
	if err := run(strings.NewReader("not a trace"), &out, "x", 0); err == nil {
		t.Fatal("no error for input that is not a trace")
	}
}
