package cstorage

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// formatSpy records the format of uploaded slices, keeping the cloud virtual.
type formatSpy struct {
	*fakecloud.Cloud
	formats []cloudapi.Format
}

func (f *formatSpy) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	f.formats = append(f.formats, s.Format)
	return f.Cloud.UploadSlice(ctx, s)
}

func uploadRecords(r *rig) []SliceRecord {
	var out []SliceRecord
	for _, n := range r.rec.notes {
		out = append(out, n.Slices...)
	}
	return out
}

func TestCS11Slicing(t *testing.T) {
	cases := []struct {
		name     string
		gop      int // frames at 15 fps
		slice    time.Duration
		wantSpan time.Duration // video span of a full slice: cut at the first IDR at or after slice
	}{
		{"FAQ: 3 s GOP cuts at 12 s", 45, 10 * time.Second, 12 * time.Second},
		{"2 s GOP cuts at 10 s", 30, 10 * time.Second, 10 * time.Second},
		{"configurable 6 s", 30, 6 * time.Second, 6 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, cloudapi.PlanFullTime, func(cfg *Config) { cfg.Channels[0].SliceDuration = c.slice })
			r.src.gop = c.gop
			r.run(60 * time.Second)
			recs := uploadRecords(r)
			if len(recs) < 3 {
				t.Fatalf("%d slices", len(recs))
			}
			frame := time.Second / 15
			for i, rec := range recs {
				if span := rec.PTSLast - rec.PTSFirst + frame; span.Round(time.Millisecond) != c.wantSpan {
					t.Errorf("slice %d spans %v, want %v", rec.Seq, span, c.wantSpan)
				}
				if rec.State != UploadOK || rec.UploadSize != rec.TotalSize || rec.TotalSize == 0 {
					t.Errorf("slice %d: %+v", rec.Seq, rec)
				}
				if rec.FrameSeqFirst%uint64(c.gop) != 0 {
					t.Errorf("slice %d starts at frame %d, not an IDR", rec.Seq, rec.FrameSeqFirst)
				}
				if !rec.UTCEnd.After(rec.UTCStart) {
					t.Errorf("slice %d utc %v..%v", rec.Seq, rec.UTCStart, rec.UTCEnd)
				}
				if i > 0 {
					prev := recs[i-1]
					if rec.FrameSeqFirst != prev.FrameSeqLast+1 || rec.Seq != prev.Seq+1 || !rec.UTCStart.After(prev.UTCEnd) {
						t.Errorf("slice %d does not follow %d: %+v after %+v", rec.Seq, prev.Seq, rec, prev)
					}
				}
			}
			r.accounting()
		})
	}
	t.Run("format fmp4 is carried", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, func(cfg *Config) { cfg.Channels[0].Format = cloudapi.FormatFMP4 })
		spy := &formatSpy{Cloud: r.cloud}
		r.sdk.st = spy
		r.run(25 * time.Second)
		if len(spy.formats) == 0 || spy.formats[0] != cloudapi.FormatFMP4 {
			t.Fatalf("formats %v", spy.formats)
		}
	})
	t.Run("a failed slice's record says err with no upload size", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, func(cfg *Config) { cfg.Backfill.Auto = false })
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		r.run(25 * time.Second)
		recs := uploadRecords(r)
		if len(recs) == 0 || recs[0].State != UploadErr || recs[0].UploadSize != 0 || recs[0].TotalSize == 0 {
			t.Fatalf("records %+v", recs)
		}
	})
}

func TestCS12SendBufferAndTimeouts(t *testing.T) {
	t.Run("buffer must be a multiple of 4 KiB", func(t *testing.T) {
		for _, size := range []units.ByteSize{0, 4*units.KiB - 1, 100 * 1000} {
			cfg := DefaultConfig(dev, 7)
			cfg.Channels[0].MaxGopSize = size
			cfg.Channels[0].Watermarks.Enabled = false
			r := newRig(t, cloudapi.PlanNone, nil)
			wantCode(t, "max gop size", New(Deps{Clock: r.clk, Storage: r.cloud}).Init(cfg, Callbacks{}), CodeInvalidParam)
		}
	})
	t.Run("trans time must be non-zero", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		wantCode(t, "zero upload", r.sdk.SetTransTime(0, time.Second), CodeInvalidParam)
		wantCode(t, "zero reply", r.sdk.SetTransTime(time.Second, 0), CodeInvalidParam)
	})
	t.Run("reply timeout, retries, then backfill", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		r.cloud.SetFaults(fakecloud.Faults{SlowReply: 5500 * time.Millisecond})
		r.run(40 * time.Second)
		var fails []observe.Observation
		for _, o := range r.rec.of(observe.SliceFailed) {
			if o.Seq == 1 && o.Reason == "timeout" {
				fails = append(fails, o)
			}
		}
		if len(fails) != r.cfg.Retries+1 {
			t.Fatalf("failed attempts %+v, want %d timeouts", fails, r.cfg.Retries+1)
		}
		// a longer reply timeout lets the same slow cloud through
		if err := r.sdk.SetTransTime(6*time.Second, 7*time.Second); err != nil {
			t.Fatal(err)
		}
		r.run(30 * time.Second)
		if r.rec.count(observe.SliceUploaded) == 0 || r.rec.count(observe.SliceBackfilled) == 0 {
			t.Fatalf("after SetTransTime: uploaded %d backfilled %d", r.rec.count(observe.SliceUploaded), r.rec.count(observe.SliceBackfilled))
		}
		r.accounting()
	})
	t.Run("upload timeout: the body takes too long to send", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil, func(_ *rig, fc *fakecloud.Config) { fc.Bandwidth = 800 * units.Kbps })
		r.run(22 * time.Second)
		if f := r.rec.of(observe.SliceFailed); len(f) == 0 || f[0].Reason != "timeout" || f[0].At.Sub(r.rec.of(observe.SliceCut)[0].At) != 6*time.Second {
			t.Fatalf("failures %+v", f)
		}
	})
}

func TestCS13Watermarks(t *testing.T) {
	r := newRig(t, cloudapi.PlanFullTime, func(c *Config) { c.RetryDelay = 10 * time.Second })
	r.run(11 * time.Second)
	r.cloud.SetFaults(fakecloud.Faults{Offline: true})
	r.run(40 * time.Second)
	r.cloud.SetFaults(fakecloud.Faults{})
	r.run(60 * time.Second)
	var levels []int
	for _, o := range r.rec.of(observe.Watermark) {
		levels = append(levels, o.Code)
	}
	if len(levels) < 4 || !cmp.Equal(levels[:3], []int{observe.LevelLow, observe.LevelWarn, observe.LevelHigh}) || levels[len(levels)-1] != observe.LevelLow {
		t.Fatalf("watermark levels %v: want low, warn, high … low", levels)
	}
	t.Logf("levels %v, buffer_full drops %d", levels, r.rec.reasons(observe.FrameDropped)[observe.ReasonBufferFull])
	for i := 1; i < len(levels); i++ {
		if levels[i] == levels[i-1] {
			t.Fatalf("level %d notified twice in a row: not edge-triggered: %v", levels[i], levels)
		}
	}
	var wm []string
	for _, l := range r.rec.logged("notify 0 watermark") {
		wm = append(wm, l[len("notify 0 "):])
	}
	if len(wm) != len(levels) {
		t.Fatalf("notices %v vs observations %v", wm, levels)
	}
	// buffer full: every frame dropped until the next IDR, each counted
	dropped := map[uint64]bool{}
	for _, o := range r.rec.of(observe.FrameDropped) {
		if o.Reason == observe.ReasonBufferFull && o.Stream == observe.Video {
			dropped[o.Seq] = true
		}
	}
	if len(dropped) == 0 {
		t.Fatal("no frame dropped for a full buffer")
	}
	for seq := range dropped {
		if !dropped[seq+1] && (seq+1)%30 != 0 && seq+1 < r.src.vseq {
			t.Fatalf("drop run ends at video frame %d, before an IDR", seq)
		}
	}
	if got, want := r.pushErrs[CodePushFailed], r.rec.reasons(observe.FrameDropped)[observe.ReasonBufferFull]; got != want {
		t.Fatalf("push errors %d, drops %d", got, want)
	}
	r.accounting()
}

func TestCS14Notifications(t *testing.T) {
	t.Run("connect fail and recover", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		r.run(5 * time.Second)
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		r.run(30 * time.Second)
		r.cloud.SetFaults(fakecloud.Faults{})
		r.run(30 * time.Second)
		got := r.rec.logged("notify 0 connect")
		if !cmp.Equal(got, []string{"notify 0 connect_fail", "notify 0 connect_recover"}) {
			t.Fatalf("connect notices %v", got)
		}
		if r.rec.count(observe.ConnFailed) < 2 {
			t.Fatalf("ConnFailed observations %d", r.rec.count(observe.ConnFailed))
		}
		r.accounting()
	})
	t.Run("upload state carries at most 10 records", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		c := r.sdk.chans[0]
		for i := 0; i < 23; i++ {
			c.records = append(c.records, SliceRecord{Seq: uint64(i)})
		}
		r.sdk.mu.Lock()
		r.sdk.flushRecords(c)
		r.sdk.mu.Unlock()
		r.sdk.flush()
		var sizes []int
		var seqs []uint64
		for _, n := range r.rec.notes {
			sizes = append(sizes, len(n.Slices))
			for _, s := range n.Slices {
				seqs = append(seqs, s.Seq)
			}
		}
		if !cmp.Equal(sizes, []int{10, 10, 3}) || len(seqs) != 23 || seqs[22] != 22 {
			t.Fatalf("notices of %v records", sizes)
		}
	})
	t.Run("service wrong when the cloud refuses service", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, func(c *Config) { c.PlanPoll = time.Hour })
		r.run(5 * time.Second)
		r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
		r.run(20 * time.Second)
		if len(r.rec.logged("notify 0 service_wrong")) == 0 {
			t.Fatal("no service-wrong notice")
		}
		if r.rec.reasons(observe.FrameLost)[observe.ReasonNoService] == 0 {
			t.Fatal("frames of the refused slice not lost")
		}
		if got := r.rec.logged("push_"); !cmp.Equal(got, []string{"push_start 0", "push_stop 0"}) {
			t.Fatalf("the refusal did not make the device re-check its plan: %v", got)
		}
		r.accounting()
	})
	t.Run("notify tolerates re-entry", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanEvent, nil)
		started := false
		r.rec.onNote = func(ch int, n Notice) {
			if _, err := r.sdk.BalanceInfo(ch, 0); err != nil {
				t.Errorf("BalanceInfo inside Notify: %v", err)
			}
			if n.Kind == NoticeUploadState && !started {
				started = true
				if err := r.sdk.EventStart(ch, 2, ""); err != nil {
					t.Errorf("EventStart inside Notify: %v", err)
				}
			}
		}
		r.sdk.EventStart(0, 1, "")
		r.run(12 * time.Second)
		r.sdk.EventStop(0, 1, "")
		r.run(15 * time.Second)
		r.sdk.EventStop(0, 2, "")
		r.run(15 * time.Second)
		want := []string{"capture 0 1", "push_start 0", "capture 0 2", "event_result 0 1 ok=true", "push_stop 0", "event_result 0 2 ok=true"}
		if got := r.rec.logged("capture", "push_", "event_result"); !cmp.Equal(got, want) {
			t.Fatalf("callbacks %v, want %v", got, want)
		}
		r.accounting()
	})
}
