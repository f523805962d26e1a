package main

import (
	"context"
	"flag"
	"io"
	"runtime"
	"testing"
)

func TestPlanProcs(t *testing.T) {
	const untouched = 3 // GOMAXPROCS before the call
	cases := []struct {
		name       string
		args       []string
		env        string
		controller bool
		want       int // GOMAXPROCS after the call
		wantErr    bool
	}{
		{name: "default is auto", controller: true, want: untouched},
		{name: "auto", args: []string{"--procs", "auto"}, controller: true, want: untouched},
		{name: "fixed", args: []string{"--procs", "1"}, want: 1},
		{name: "environment wins over the default", env: "2", want: untouched},
		{name: "flag wins over the environment", args: []string{"--procs", "auto"}, env: "2", controller: true, want: untouched},
		{name: "zero", args: []string{"--procs", "0"}, want: untouched, wantErr: true},
		{name: "words", args: []string{"--procs", "many"}, want: untouched, wantErr: true},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runtime.GOMAXPROCS(untouched)
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			val := procsFlag(fs)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			pp, err := planProcs(fs, *val, func(k string) string {
				if k == "GOMAXPROCS" {
					return c.env
				}
				return ""
			})
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, want error %v", err, c.wantErr)
			}
			if got := runtime.GOMAXPROCS(0); got != c.want {
				t.Errorf("GOMAXPROCS %d, want %d", got, c.want)
			}
			if (pp.ctl != nil) != c.controller {
				t.Fatalf("controller %v, want %v", pp.ctl != nil, c.controller)
			}
			if !c.controller {
				if pp.peak() != nil || pp.shards != 0 {
					t.Errorf("fixed plan reports a peak or clock shards")
				}
				pp.start(context.Background())() // no-op
				return
			}
			if pp.shards != untouched || pp.ctl.Max() != untouched {
				t.Errorf("clock shards %d, controller max %d: want the GOMAXPROCS it started with (%d)", pp.shards, pp.ctl.Max(), untouched)
			}
			// the controller runs from Min and gives the Ps back when stopped
			stop := pp.start(context.Background())
			stop()
			if got := runtime.GOMAXPROCS(0); got != untouched {
				t.Errorf("GOMAXPROCS %d after the run, want %d restored", got, untouched)
			}
			if p := pp.peak()(); p < 1 || p > untouched {
				t.Errorf("peak %d, want 1..%d", p, untouched)
			}
		})
	}
}

// --huge-pages (off by default) keeps the heap advised while the run lasts
// and stops with it.
func TestHugePagesFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--huge-pages"}, true}, {[]string{"--huge-pages=false"}, false}} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		huge := hugePagesFlag(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if *huge != c.want {
			t.Fatalf("%v: huge pages %v, want %v", c.args, *huge, c.want)
		}
		stop := procsPlan{huge: *huge}.start(context.Background())
		stop() // returns: the advising goroutine ended
	}
}
