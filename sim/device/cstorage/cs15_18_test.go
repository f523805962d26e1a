package cstorage

import (
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

func TestCS15IdlePause(t *testing.T) {
	cases := []struct {
		name  string
		idle  time.Duration
		gap   time.Duration
		pause bool
	}{
		{"120 s default: 130 s gap pauses", 120 * time.Second, 130 * time.Second, true},
		{"120 s default: 100 s gap does not", 120 * time.Second, 100 * time.Second, false},
		{"60 s (FAQ): 70 s gap pauses", 60 * time.Second, 70 * time.Second, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, cloudapi.PlanFullTime, func(cfg *Config) { cfg.Channels[0].IdleTimeout = c.idle })
			r.run(15 * time.Second) // stops mid-GOP: the next frame is a P frame
			r.idle(c.gap)
			cut := r.rec.count(observe.SliceCut)
			if paused := cut == 2; paused != c.pause {
				t.Fatalf("after the gap: %d slices cut (the open slice is cut on pause), pause=%v want %v", cut, paused, c.pause)
			}
			r.run(5 * time.Second)
			if got := r.pushErrs[CodeFirstNotIDR] > 0; got != c.pause {
				t.Fatalf("resuming required an IDR: %v, want %v", got, c.pause)
			}
			r.accounting()
		})
	}
}

func TestCS16DumpAndBackfill(t *testing.T) {
	t.Run("every slice is dumped: start, running chunks, end", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		r.run(35 * time.Second)
		recs := uploadRecords(r)
		if len(recs) != 3 || len(r.rec.dumps) != 4 { // 3 names + "running"
			t.Fatalf("records %d dumps %v", len(recs), r.rec.dumps)
		}
		state := DumpEnd
		for _, d := range r.rec.dumpN {
			switch d.State {
			case DumpStart:
				if state != DumpEnd {
					t.Fatal("start before the previous end")
				}
			case DumpRunning, DumpEnd:
				if state == DumpEnd {
					t.Fatalf("%v without start", d.State)
				}
			}
			state = d.State
		}
		for _, rec := range recs {
			found := false
			for _, d := range r.rec.dumpN {
				if d.State == DumpEnd && d.Start.Equal(rec.UTCStart) && d.End.Equal(rec.UTCEnd) {
					found = r.rec.dumps[d.Name] == rec.TotalSize
				}
			}
			if !found {
				t.Fatalf("slice %d (%d bytes) has no matching dump: %v", rec.Seq, rec.TotalSize, r.rec.dumps)
			}
		}
	})
	t.Run("outage within the window: backfilled, rate-limited", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		r.run(45 * time.Second)
		failed := r.rec.count(observe.SliceCut)
		r.cloud.SetFaults(fakecloud.Faults{})
		back := r.clk.Now()
		r.run(3 * time.Minute)
		bf := r.rec.of(observe.SliceBackfilled)
		if len(bf) == 0 || len(bf) < failed-1 {
			t.Fatalf("backfilled %d of %d failed slices", len(bf), failed)
		}
		// 80 KB/s: a ~675 KB slice takes at least 8 s
		if d := bf[0].At.Sub(back); d < 8*time.Second {
			t.Fatalf("first backfill done %v after recovery: not rate-limited", d)
		}
		if r.rec.count(observe.SliceExpired) != 0 || r.rec.count(observe.FrameLost) != 0 {
			t.Fatal("slices lost within the window")
		}
		r.accounting()
	})
	t.Run("outage beyond the window: expired, frames lost", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, func(c *Config) { c.Backfill.Window = 2 * time.Minute })
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		r.run(4 * time.Minute)
		r.cloud.SetFaults(fakecloud.Faults{})
		r.run(5 * time.Minute)
		if r.rec.count(observe.SliceExpired) == 0 {
			t.Fatal("no slice expired")
		}
		if r.rec.reasons(observe.FrameLost)[observe.ReasonSliceExpired] == 0 {
			t.Fatal("expired slices' frames not lost")
		}
		if r.rec.count(observe.SliceBackfilled) == 0 {
			t.Fatal("the slices still within the window were not backfilled")
		}
		r.accounting()
	})
	t.Run("an error restarts the file", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, nil)
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		r.run(25 * time.Second)
		r.cloud.SetFaults(fakecloud.Faults{UploadErrorRate: 0.6})
		r.run(5 * time.Minute)
		restarts := 0
		for _, o := range r.rec.of(observe.SliceFailed) {
			if o.Reason == "backfill_"+cloudapi.CodeUnavailable {
				restarts++
			}
		}
		if restarts == 0 || r.rec.count(observe.SliceBackfilled) == 0 {
			t.Fatalf("restarts %d, backfilled %d", restarts, r.rec.count(observe.SliceBackfilled))
		}
		r.accounting()
	})
	t.Run("firmware-driven UploadBackupVideo", func(t *testing.T) {
		r := newRig(t, cloudapi.PlanFullTime, func(c *Config) { c.Backfill.Auto = false })
		r.cloud.SetFaults(fakecloud.Faults{Offline: true})
		r.run(25 * time.Second)
		r.cloud.SetFaults(fakecloud.Faults{})
		var name string
		var size int
		for _, rec := range uploadRecords(r) {
			if rec.State != UploadErr {
				continue
			}
			for _, d := range r.rec.dumpN {
				if d.State == DumpEnd && d.Start.Equal(rec.UTCStart) {
					name, size = d.Name, r.rec.dumps[d.Name]
				}
			}
			break
		}
		if name == "" {
			t.Fatal("no failed slice found through notify + dump")
		}
		wantCode(t, "unknown file", r.sdk.UploadBackupVideo(0, DumpStart, "nope.ts", nil), CodeInvalidParam)
		wantCode(t, "running before start", r.sdk.UploadBackupVideo(0, DumpRunning, name, make([]byte, 10)), CodeInvalidParam)
		// short file: refused, must restart
		wantCode(t, "start", r.sdk.UploadBackupVideo(0, DumpStart, name, nil), CodeNone)
		wantCode(t, "chunk", r.sdk.UploadBackupVideo(0, DumpRunning, name, make([]byte, size/2)), CodeNone)
		wantCode(t, "short end", r.sdk.UploadBackupVideo(0, DumpEnd, name, nil), CodeInvalidParam)
		// whole file, 8 KB per 100 ms
		wantCode(t, "restart", r.sdk.UploadBackupVideo(0, DumpStart, name, nil), CodeNone)
		chunk := make([]byte, 8000)
		for sent := 0; sent < size; sent += len(chunk) {
			n := min(len(chunk), size-sent)
			wantCode(t, "chunk", r.sdk.UploadBackupVideo(0, DumpRunning, name, chunk[:n]), CodeNone)
			r.clk.Advance(100 * time.Millisecond)
		}
		wantCode(t, "end", r.sdk.UploadBackupVideo(0, DumpEnd, name, nil), CodeNone)
		if r.rec.count(observe.SliceBackfilled) != 1 {
			t.Fatalf("backfilled %d", r.rec.count(observe.SliceBackfilled))
		}
		wantCode(t, "again", r.sdk.UploadBackupVideo(0, DumpStart, name, nil), CodeInvalidParam)
		r.accounting()
	})
}

func TestCS17ClockSkew(t *testing.T) {
	r := newRig(t, cloudapi.PlanFullTime, func(c *Config) { c.ClockSkew = 40 * time.Second })
	r.run(25 * time.Second)
	st := r.cloud.Stored(dev, 0)
	if len(st) != 2 {
		t.Fatalf("stored %d", len(st))
	}
	if d := st[0].UTCStart.Sub(r.src.start); d != 40*time.Second {
		t.Fatalf("slice carries %v of skew, want the device clock's 40 s", d)
	}
	if r.rec.count(observe.SliceOverwritten) != 0 {
		t.Fatal("overwrite without a clock correction")
	}
	r.sdk.AdjustClock(-30 * time.Second) // NTP sets the clock back
	r.run(40 * time.Second)
	over := r.rec.count(observe.SliceOverwritten)
	if over == 0 {
		t.Fatal("overlap after the correction not detected")
	}
	if got := r.sdk.Stats().Overwritten; got != over {
		t.Fatalf("device counted %d overwrites, cloud observed %d", got, over)
	}
	if r.cloud.Counts().Overwritten != over {
		t.Fatal("cloud counter differs")
	}
	r.accounting()
}

func TestCS18MemoryModel(t *testing.T) {
	ch := DefaultChannel() // 800 KiB, AAC
	pcm := ch
	pcm.Audio = av.PCMA
	stereo := pcm
	stereo.Stereo = true
	cases := []struct {
		name string
		chs  []ChannelConfig
		want units.ByteSize
	}{
		{"AAC", []ChannelConfig{ch}, 800*units.KiB + 100_000},
		{"G.711 mono", []ChannelConfig{pcm}, 800*units.KiB + 120_000 + 100_000},
		{"G.711 stereo", []ChannelConfig{stereo}, 800*units.KiB + 160_000 + 100_000},
		{"three AAC channels", []ChannelConfig{ch, ch, ch}, 3 * (800*units.KiB + 100_000)},
	}
	for _, c := range cases {
		cfg := DefaultConfig(dev, 7)
		cfg.Channels = c.chs
		if got := AccountedMemory(cfg); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// accounted, not allocated: an idle SDK's heap is far below MaxGopSize
	r := newRig(t, cloudapi.PlanEvent, nil)
	if got := r.sdk.AccountedMemory(); got != int64(800*units.KiB+100_000) {
		t.Fatalf("AccountedMemory %d", got)
	}
	r.run(5 * time.Second)
	c := r.sdk.chans[0]
	if cap(c.body) != 0 || cap(c.buf.q) != 0 {
		t.Fatalf("idle event-plan channel holds buffers: body %d frames %d", cap(c.body), cap(c.buf.q))
	}
}
