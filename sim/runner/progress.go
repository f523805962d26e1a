package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/fleetsim/fleetsim/report"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// progress shows how the run goes: devices connected / planned, elapsed /
// total, frames/s, loss and ingest p99 — as mpb bars on a terminal, as a
// plain line every few seconds otherwise.
type progress struct {
	out     io.Writer
	mode    string
	every   time.Duration
	acc     *report.Accumulator
	planned int
	total   time.Duration
	start   time.Time
	clk     clock.Clock

	mu       sync.Mutex
	last     report.Live
	lastAt   time.Time
	p        *mpb.Progress
	timeBar  *mpb.Bar
	devBar   *mpb.Bar
	status   string
	finished bool
}

func newProgress(o Options, acc *report.Accumulator, planned int, total time.Duration, start time.Time, clk clock.Clock) *progress {
	mode := o.Progress
	if mode == "" || mode == "auto" {
		mode = "lines"
		if f, ok := o.Out.(*os.File); ok && isTerminal(f) {
			mode = "bars"
		}
	}
	return &progress{out: o.Out, mode: mode, every: o.ProgressEvery, acc: acc, planned: planned, total: total,
		start: start, clk: clk, lastAt: start}
}

func (p *progress) run(ctx context.Context) {
	if p.mode == "off" {
		return
	}
	every := p.every
	if p.mode == "bars" {
		every = 500 * time.Millisecond
		p.startBars(ctx)
	}
	t := p.clk.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			p.tick()
		}
	}
}

// snapshot computes the figures shown.
func (p *progress) snapshot() (l report.Live, fps float64, loss float64, elapsed time.Duration) {
	now := p.clk.Now()
	l = p.acc.Live()
	p.mu.Lock()
	if dt := now.Sub(p.lastAt).Seconds(); dt > 0 {
		fps = float64(l.Sent-p.last.Sent) / dt
	}
	p.last, p.lastAt = l, now
	p.mu.Unlock()
	// as the report counts it: drops by plan and frames in flight are not loss
	if failed := l.Dropped - l.ByPolicy + l.Lost + l.Rejected; failed+l.Delivered > 0 {
		loss = float64(failed) / float64(failed+l.Delivered)
	}
	return l, fps, loss, now.Sub(p.start)
}

func (p *progress) tick() {
	l, fps, loss, elapsed := p.snapshot()
	p99 := "–"
	if l.IngestCount > 0 {
		p99 = l.IngestP99.Round(time.Millisecond).String()
	}
	status := fmt.Sprintf("%d/%d connected · %.0f frames/s · loss %.3f%% · ingest p99 %s", l.Connected, p.planned, fps, 100*loss, p99)
	switch p.mode {
	case "bars":
		p.mu.Lock()
		p.status = status
		p.mu.Unlock()
		p.timeBar.SetCurrent(int64(min(elapsed, p.total) / time.Second))
		p.devBar.SetCurrent(min(l.Connected, int64(p.planned)))
	default:
		fmt.Fprintf(p.out, "[%s/%s] %s\n", elapsed.Round(time.Second), p.total, status)
	}
}

func (p *progress) startBars(ctx context.Context) {
	p.p = mpb.NewWithContext(ctx, mpb.WithOutput(p.out), mpb.WithWidth(40), mpb.WithAutoRefresh())
	p.timeBar = p.p.AddBar(int64(p.total/time.Second),
		mpb.PrependDecorators(decor.Name("elapsed  "), decor.Elapsed(decor.ET_STYLE_GO)),
		mpb.AppendDecorators(decor.CountersNoUnit("%d/%d s")),
	)
	p.devBar = p.p.AddBar(int64(p.planned),
		mpb.PrependDecorators(decor.Name("devices  "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.status
		})),
	)
}

// finish ends the display before the summary is printed.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.p != nil {
		p.timeBar.Abort(false)
		p.devBar.Abort(false)
		p.p.Wait()
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
